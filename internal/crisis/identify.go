package crisis

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/sharing"
)

// Identity is what an anonymous child tells about themself during a
// crisis: their school and name, and the grade and class when the name is
// not enough to tell two students apart.
type Identity struct {
	SchoolID int64
	Name     string
	Grade    int    // 0: not told
	Class    string // "": not told
}

// Identify links an anonymous incident to the one active student of the
// named school who matches. The handler of the incident may identify the
// child at any school of the network: they do not browse records, they
// learn only that a student matched (no record data comes back). The
// link is a step of the timeline (kind identified); the child's school
// then sees the incident and carries the follow-up, so the school's case
// workers are told and the hand-over of the incident to the school is
// written in the disclosure log. No match and several matches are
// different errors: with several, the handler asks for the grade and
// class. Failed tries are audited and capped (MaxIdentifyTries).
func (s *Service) Identify(ctx context.Context, p access.Principal, id int64, who Identity) error {
	who.Name, who.Class = strings.TrimSpace(who.Name), strings.TrimSpace(who.Class)
	bad := map[string]string{}
	if who.SchoolID == 0 {
		bad["school"] = "crisis.identify_school"
	}
	if who.Name == "" || utf8.RuneCountInString(who.Name) > 60 {
		bad["name"] = "crisis.identify_name"
	}
	if who.Grade < 0 || who.Grade > 12 || utf8.RuneCountInString(who.Class) > 40 {
		bad["grade"] = "crisis.identify_grade"
	}
	if len(bad) > 0 {
		return apperr.Invalid("form.invalid", bad)
	}
	var miss error
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := inc.handler(p)
		if err != nil {
			return err
		}
		if inc.State == Closed {
			return apperr.New(apperr.EConflict, "crisis.closed")
		}
		if inc.StudentID != 0 {
			return apperr.New(apperr.EConflict, "crisis.already_identified")
		}
		// The incident is locked (load); the caller's tries across every
		// incident are serialised too, so that neither cap can be raced.
		if err := tx.Serialize(ctx, "identify:user:"+itoa(p.UserID)); err != nil {
			return err
		}
		var tries, mine int64
		if err := tx.QueryRow(ctx, `SELECT identify_tries FROM incidents WHERE id = ?`, id).Scan(&tries); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE actor_user_id = ? AND at > ? AND action = 'incident.identify' AND outcome = ?`,
			p.UserID, db.Micro(s.now().Add(-24*time.Hour)), audit.Denied).Scan(&mine); err != nil {
			return err
		}
		if tries >= MaxIdentifyTries || mine >= MaxIdentifyTriesPerDay {
			return apperr.New(apperr.EConflict, "crisis.identify_limit")
		}
		student, schoolPath, err := s.match(ctx, tx, who)
		if apperr.CodeOf(err) == apperr.EInvalid {
			// A name that matched no one, or several: counted and audited
			// in this transaction, which commits; then answered.
			miss = err
			if _, err := tx.Exec(ctx, `UPDATE incidents SET identify_tries = identify_tries + 1 WHERE id = ?`, id); err != nil {
				return err
			}
			return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID,
				Action: "incident.identify", ObjectType: "incident", ObjectID: itoa(id), Outcome: audit.Denied,
				Detail: "school=" + itoa(who.SchoolID) + " problem=" + apperr.FieldsOf(err)["name"] + apperr.FieldsOf(err)["grade"]})
		}
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE incidents SET student_id = ?, updated_at = ? WHERE id = ?`, student, now, inc.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, 'crisis', ?, ?, ?)`,
			student, now, p.UserID, inc.UnitID, "incident="+itoa(inc.ID)); err != nil {
			return err
		}
		detail := "student=" + itoa(student) + " school=" + itoa(who.SchoolID)
		if _, err := s.addStep(ctx, tx, p, m, inc.ID, step{kind: "identified", detail: detail}); err != nil {
			return err
		}
		inc.StudentID, inc.schoolPath = student, schoolPath
		if who.SchoolID != inc.UnitID && s.Sharing != nil {
			if err := s.Sharing.Record(ctx, tx, p, sharing.Disclosure{StudentID: student, FromUnit: inc.UnitID, ToUnit: who.SchoolID,
				What: []string{"description", "risk", "steps"}, Purpose: "crisis", Basis: "law", RefType: "incident", RefID: inc.ID}); err != nil {
				return err
			}
		}
		if err := s.tellCaseOwner(ctx, tx, inc, p.UserID, "incident.identified"); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "incident.identify", inc.ID, detail)
	})
	if err != nil {
		return err
	}
	return miss
}

// MaxIdentifyTries is how many names that match no one (or several) one
// incident may try before the form refuses: a crisis needs a few tries,
// probing a school's roll needs many.
const MaxIdentifyTries = 5

// MaxIdentifyTriesPerDay caps one person's misses across every incident
// in 24 hours.
const MaxIdentifyTriesPerDay = 10

// match finds the one active student of the school with the name (and the
// grade and class when told).
func (s *Service) match(ctx context.Context, tx *db.Tx, who Identity) (int64, string, error) {
	q := `SELECT st.id, o.path FROM students st JOIN org_units o ON o.id = st.school_id
		WHERE st.school_id = ? AND st.name = ? AND st.status = 'active' AND o.kind = 'school'`
	args := []any{who.SchoolID, who.Name}
	if who.Grade > 0 {
		q += ` AND st.grade = ?`
		args = append(args, who.Grade)
	}
	if who.Class != "" {
		q += ` AND st.class_name = ?`
		args = append(args, who.Class)
	}
	rows, err := tx.Query(ctx, q+` LIMIT 2`, args...)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	var ids []int64
	var path string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &path); err != nil {
			return 0, "", err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	switch len(ids) {
	case 0:
		return 0, "", apperr.Invalid("form.invalid", map[string]string{"name": "crisis.identify_none"})
	case 1:
		return ids[0], path, nil
	}
	return 0, "", apperr.Invalid("form.invalid", map[string]string{"grade": "crisis.identify_several"})
}
