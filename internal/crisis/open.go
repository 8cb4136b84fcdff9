package crisis

import (
	"context"
	"slices"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
)

// NewIncident is the one short form that opens an incident: only what is
// known; details follow.
type NewIncident struct {
	UnitID    int64  // the handling unit; 0: the source's (a contact's station, an alert's school) or the caller's own
	Source    string // contact, alert, follow_up, duty
	SourceID  int64  // the contact, alert or follow-up
	StudentNo string // source duty: a known student, by student number (needs record.write over the school)
	Details
}

// checkDetails validates details and returns field problems.
func checkDetails(d *Details) map[string]string {
	bad := map[string]string{}
	d.Location, d.Description, d.Callback = strings.TrimSpace(d.Location), strings.TrimSpace(d.Description), strings.TrimSpace(d.Callback)
	if len(d.Location) > 1000 {
		bad["location"] = "form.too_long"
	}
	if len(d.Description) > 4000 {
		bad["description"] = "form.too_long"
	}
	if len(d.Callback) > 40 {
		bad["callback"] = "form.too_long"
	}
	if d.Risk.Validate() != nil {
		bad["risk"] = "crisis.bad_risk"
	}
	d.Risk = d.Risk.Normal()
	return bad
}

// source is what an incident's source tells about the child and the unit.
type source struct {
	unitID, studentID, contactID int64
	risk                         *Risk
}

// Open opens an incident handled by the caller, who needs crisis.handle
// over the handling unit and may use the source: a contact of a station
// where they handle crises, an alert they may handle or own, a follow-up
// of a case they may manage or own. An anonymous caller from a contact
// stays anonymous (the contact is kept); a contact's risk screen becomes
// the first assessment when none is given.
func (s *Service) Open(ctx context.Context, p access.Principal, n NewIncident) (int64, error) {
	bad := checkDetails(&n.Details)
	if !slices.Contains(Sources, n.Source) {
		bad["source"] = "crisis.bad_source"
	}
	if len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		src, err := s.resolve(ctx, tx, p, n)
		if err != nil {
			return err
		}
		unit := n.UnitID
		if unit == 0 {
			unit = src.unitID
		}
		if unit == 0 {
			m, ok := p.Grant(access.CrisisHandle)
			if !ok {
				return apperr.NotFound()
			}
			unit = m.OrgID
		}
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND active = 1`, unit).Scan(&path); err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"unit": "crisis.bad_unit"})
		}
		m, ok := p.At(access.CrisisHandle, path)
		if !ok {
			return apperr.Invalid("form.invalid", map[string]string{"unit": "crisis.bad_unit"})
		}
		if src.risk != nil && n.Risk == (Risk{}).Normal() {
			n.Risk = *src.risk
		}
		now := db.Micro(s.now())
		if id, err = tx.InsertID(ctx, `INSERT INTO incidents (unit_id, student_id, contact_id, source, source_id, state, handler_id, opened_by,
			opened_at, risk, risk_level, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, unit, src.studentID, src.contactID, n.Source,
			n.SourceID, Opened, p.UserID, p.UserID, now, n.Risk.Codes(), n.Risk.Level(), now); err != nil {
			return err
		}
		if err := s.writeDetails(ctx, tx, id, n.Details); err != nil {
			return err
		}
		if _, err := s.addStep(ctx, tx, p, m, id, step{kind: "state", state: Opened,
			detail: "source=" + n.Source + " risk_level=" + n.Risk.Level()}); err != nil {
			return err
		}
		if src.studentID != 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, 'crisis', ?, ?, ?)`,
				src.studentID, now, p.UserID, unit, "incident="+itoa(id)); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "incident.open", id, "unit="+itoa(unit)+" source="+n.Source+":"+itoa(n.SourceID)+
			" student="+itoa(src.studentID)+" contact="+itoa(src.contactID)+" level="+n.Risk.Level())
	})
	return id, err
}

// writeDetails seals and stores the current details of an incident.
func (s *Service) writeDetails(ctx context.Context, tx *db.Tx, id int64, d Details) error {
	var sealed [3][]byte
	for i, v := range []string{d.Location, d.Description, d.Callback} {
		b, err := s.seal(v, aad(id, []string{"location", "description", "callback"}[i]))
		if err != nil {
			return err
		}
		sealed[i] = b
	}
	_, err := tx.Exec(ctx, `UPDATE incidents SET location = ?, description = ?, callback = ?, risk = ?, risk_level = ?, updated_at = ? WHERE id = ?`,
		sealed[0], sealed[1], sealed[2], d.Risk.Codes(), d.Risk.Level(), db.Micro(s.now()), id)
	return err
}

// resolve checks the caller's hold on the source and reads what it tells.
func (s *Service) resolve(ctx context.Context, tx *db.Tx, p access.Principal, n NewIncident) (source, error) {
	var src source
	var path, risk string
	var owner int64
	switch n.Source {
	case "contact":
		err := tx.QueryRow(ctx, `SELECT c.station_id, o.path, c.student_id, c.risk FROM contacts c JOIN org_units o ON o.id = c.station_id
			WHERE c.id = ?`, n.SourceID).Scan(&src.unitID, &path, &src.studentID, &risk)
		if err != nil {
			return src, notFound(err)
		}
		if _, ok := p.At(access.CrisisHandle, path); !ok {
			return src, apperr.NotFound()
		}
		if src.studentID == 0 {
			src.contactID = n.SourceID
		}
		if a, err := taxonomy.ParseRisk(risk); err == nil {
			r := FromScreen(a)
			src.risk = &r
		}
		return src, nil
	case "alert":
		err := tx.QueryRow(ctx, `SELECT a.student_id, o.path, a.owner_user_id FROM alerts a JOIN students st ON st.id = a.student_id
			JOIN org_units o ON o.id = st.school_id WHERE a.id = ?`, n.SourceID).Scan(&src.studentID, &path, &owner)
		if err != nil {
			return src, notFound(err)
		}
		if _, ok := p.At(access.AlertHandle, path); !ok && owner != p.UserID {
			return src, apperr.NotFound()
		}
	case "follow_up":
		err := tx.QueryRow(ctx, `SELECT f.student_id, o.path, f.owner_id FROM follow_ups f JOIN students st ON st.id = f.student_id
			JOIN org_units o ON o.id = st.school_id WHERE f.id = ?`, n.SourceID).Scan(&src.studentID, &path, &owner)
		if err != nil {
			return src, notFound(err)
		}
		if _, ok := p.At(access.CaseManage, path); !ok && owner != p.UserID {
			return src, apperr.NotFound()
		}
	case "duty":
		if n.SourceID != 0 {
			return src, apperr.Invalid("form.invalid", map[string]string{"source": "crisis.bad_source"})
		}
		if no := strings.TrimSpace(n.StudentNo); no != "" {
			err := tx.QueryRow(ctx, `SELECT st.id, o.path FROM students st JOIN org_units o ON o.id = st.school_id
				WHERE st.student_no = ? AND st.status = 'active'`, no).Scan(&src.studentID, &path)
			if _, ok := p.At(access.RecordWrite, path); err != nil || !ok {
				return src, apperr.Invalid("form.invalid", map[string]string{"student_no": "crisis.unknown_student"})
			}
		}
	}
	// An alert's or a follow-up's school handles the incident when the
	// caller handles crises there; otherwise the caller's own unit does.
	if n.Source != "duty" {
		if _, ok := p.At(access.CrisisHandle, path); ok {
			if err := tx.QueryRow(ctx, `SELECT school_id FROM students WHERE id = ?`, src.studentID).Scan(&src.unitID); err != nil {
				return src, err
			}
		}
	}
	return src, nil
}

func notFound(err error) error {
	if apperr.CodeOf(err) == apperr.ENotFound {
		return apperr.NotFound()
	}
	return err
}
