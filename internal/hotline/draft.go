package hotline

import (
	"context"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
)

// load reads a contact (summary still sealed) inside tx, locked against
// concurrent saves on PostgreSQL.
func (s *Service) load(ctx context.Context, tx *db.Tx, id int64) (*Contact, []byte, error) {
	if err := tx.Serialize(ctx, "contact:"+itoa(id)); err != nil {
		return nil, nil, err
	}
	c := &Contact{ID: id}
	var started, ended, finalised int64
	var cats, risk, actions, refs string
	var follow int
	var sealed []byte
	err := tx.QueryRow(ctx, `SELECT c.station_id, o.path, c.channel, c.state, c.counsellor_id, c.author_id, c.started_at, c.ended_at,
		c.caller_type, c.age_band, c.gender, c.district_id, c.categories, c.risk, c.risk_level, c.summary, c.actions, c.referrals,
		c.follow_up, c.profile_id, c.student_id, c.version, c.finalised_at FROM contacts c JOIN org_units o ON o.id = c.station_id
		WHERE c.id = ?`, id).Scan(&c.StationID, &c.StationPath, &c.Channel, &c.State, &c.CounsellorID, &c.AuthorID, &started, &ended,
		&c.CallerType, &c.AgeBand, &c.Gender, &c.DistrictID, &cats, &risk, &c.RiskLevel, &sealed, &actions, &refs, &follow,
		&c.ProfileID, &c.StudentID, &c.Version, &finalised)
	if err != nil {
		return nil, nil, apperr.NotFound()
	}
	c.StartedAt, c.EndedAt, c.FinalisedAt = db.FromMicro(started), db.FromMicro(ended), db.FromMicro(finalised)
	c.Categories, c.Actions, c.Referrals = strings.Fields(cats), strings.Fields(actions), strings.Fields(refs)
	c.Risk, _ = taxonomy.ParseRisk(risk)
	c.FollowUp = follow != 0
	return c, sealed, nil
}

// mayEdit decides whether the caller may change c now: the holder of a
// draft, or a supervisor of its station; after finalisation, the editing
// rules (contact_edit_rules: the author for a window, a role for a window
// or always).
func (s *Service) mayEdit(ctx context.Context, tx *db.Tx, p access.Principal, c *Contact) (access.Membership, error) {
	sup, isSup := p.At(access.HotlineSupervise, c.StationPath)
	m, inScope := p.At(access.HotlineContact, c.StationPath)
	if !inScope && !isSup {
		// A draft transferred across the station network stays at its
		// station; its holder edits it from their own branch.
		if g, ok := p.Grant(access.HotlineContact); ok && c.State == "draft" && c.CounsellorID == p.UserID {
			return g, nil
		}
		return m, apperr.NotFound()
	}
	if isSup {
		m = sup
	}
	if c.State == "draft" {
		if c.CounsellorID == p.UserID || isSup {
			return m, nil
		}
		return m, apperr.New(apperr.EForbidden, "contact.not_holder")
	}
	rows, err := tx.Query(ctx, `SELECT role, minutes FROM contact_edit_rules`)
	if err != nil {
		return m, err
	}
	defer rows.Close()
	elapsed := s.now().Sub(c.FinalisedAt).Minutes()
	for rows.Next() {
		var role string
		var minutes float64
		if err := rows.Scan(&role, &minutes); err != nil {
			return m, err
		}
		within := minutes == 0 || elapsed <= minutes
		switch {
		case role == "" && c.AuthorID == p.UserID && within:
			return m, nil
		case role != "" && within && holds(p, role, c.StationPath):
			return m, nil
		}
	}
	if err := rows.Err(); err != nil {
		return m, err
	}
	return m, apperr.New(apperr.EForbidden, "contact.edit_closed")
}

func holds(p access.Principal, role, path string) bool {
	for _, m := range p.Memberships {
		if m.Role == role && strings.HasPrefix(path, m.OrgPath) {
			return true
		}
	}
	return false
}

// Save stores the fields of a contact as the caller has them now: a draft
// is saved on every change, so a crash, a dropped network or a transfer
// loses nothing. version is the version the caller last saw; a save over
// a newer version is refused (EConflict, contact.stale) so that nobody
// overwrites a colleague's words unseen. It returns the new version.
func (s *Service) Save(ctx context.Context, p access.Principal, id int64, version int, f Fields) (int, error) {
	if bad := s.check(&f); len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	next := 0
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, _, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := s.mayEdit(ctx, tx, p, c)
		if err != nil {
			return err
		}
		if c.Version != version {
			return apperr.New(apperr.EConflict, "contact.stale")
		}
		var sealed []byte
		if f.Summary != "" {
			if sealed, err = s.Seal.Seal([]byte(f.Summary), summaryAAD(id)); err != nil {
				return apperr.Internal(err)
			}
		}
		level := ""
		if f.Risk != (taxonomy.RiskAnswers{}) {
			level = taxonomy.Assess(f.Risk)
		}
		next = version + 1
		if _, err := tx.Exec(ctx, `UPDATE contacts SET caller_type = ?, age_band = ?, gender = ?, district_id = ?, categories = ?, risk = ?,
			risk_level = ?, summary = ?, actions = ?, referrals = ?, follow_up = ?, ended_at = ?, version = ?, updated_at = ? WHERE id = ?`,
			f.CallerType, f.AgeBand, f.Gender, f.DistrictID, joinCodes(f.Categories), f.Risk.Codes(), level, sealed, joinCodes(f.Actions),
			joinCodes(f.Referrals), db.Bool(f.FollowUp), db.Micro(f.EndedAt), next, db.Micro(s.now()), id); err != nil {
			return err
		}
		action := "contact.save"
		if c.State == "final" {
			action = "contact.edit"
		}
		return s.record(ctx, tx, p, m, action, id, "version="+itoa(int64(next)))
	})
	return next, err
}

// Finalise ends the drafting of a contact: it needs who contacted, and for
// a real conversation at least one category; the end time is now if not
// given. Only the holder or a supervisor finalises.
func (s *Service) Finalise(ctx context.Context, p access.Principal, id int64, version int) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, _, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.State != "draft" {
			return apperr.New(apperr.EConflict, "contact.already_final")
		}
		m, err := s.mayEdit(ctx, tx, p, c)
		if err != nil {
			return err
		}
		if c.Version != version {
			return apperr.New(apperr.EConflict, "contact.stale")
		}
		bad := map[string]string{}
		if c.CallerType == "" {
			bad["caller_type"] = "form.required"
		}
		if conversation(c.CallerType) && len(c.Categories) == 0 {
			bad["categories"] = "contact.categories_required"
		}
		if len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE contacts SET state = 'final', finalised_at = ?, ended_at = CASE WHEN ended_at = 0 THEN ? ELSE ended_at END,
			version = version + 1, updated_at = ? WHERE id = ?`, now, now, now, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "contact.finalise", id, "risk="+c.RiskLevel)
	})
}

// conversation reports whether a caller type is a real conversation (not
// silent, a hang-up, a wrong number or a prank).
func conversation(t string) bool {
	return t == "child_self" || t == "adult_about_child" || t == "repeat"
}

// Transfer hands a draft contact, with everything written so far, to a
// colleague who answers contacts at the same station.
func (s *Service) Transfer(ctx context.Context, p access.Principal, id, toUserID int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, _, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.State != "draft" {
			return apperr.New(apperr.EConflict, "contact.already_final")
		}
		m, err := s.mayEdit(ctx, tx, p, c)
		if err != nil {
			return err
		}
		// A colleague anywhere in the same station network (the station
		// and its branches) may take it over.
		top, err := NetworkTop(ctx, tx, c.StationPath)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM memberships mb JOIN users u ON u.id = mb.user_id JOIN org_units o ON o.id = mb.org_unit_id
			WHERE mb.user_id = ? AND u.active = 1 AND mb.role IN (?, ?) AND o.path >= ? AND o.path < ?`,
			toUserID, access.HotlineCounsellor, access.HotlineSupervisor, top, access.SubtreeEnd(top)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.Invalid("form.invalid", map[string]string{"to": "contact.not_colleague"})
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET counsellor_id = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			toUserID, db.Micro(s.now()), id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "contact.transfer", id, "to="+itoa(toUserID))
	})
}

// FindContact returns a contact the caller may see (hotline.contact or
// hotline.supervise over its station), its summary opened. The read is
// audited.
func (s *Service) FindContact(ctx context.Context, p access.Principal, id int64) (*Contact, error) {
	var c *Contact
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var sealed []byte
		var err error
		if c, sealed, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		m, ok := p.At(access.HotlineContact, c.StationPath)
		if !ok {
			if m, ok = p.At(access.HotlineSupervise, c.StationPath); !ok {
				if m, ok = p.Grant(access.HotlineContact); !ok || c.CounsellorID != p.UserID {
					return apperr.NotFound()
				}
			}
		}
		if len(sealed) > 0 {
			plain, err := s.Seal.Open(sealed, summaryAAD(id))
			if err != nil {
				return apperr.Internal(err)
			}
			c.Summary = string(plain)
		}
		return s.record(ctx, tx, p, m, "contact.read", id, "")
	})
	return c, err
}
