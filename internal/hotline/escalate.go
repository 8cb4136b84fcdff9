package hotline

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/warning"
)

// RaiseAlert raises an early-warning alert for the student a contact is
// linked to: the school's counsellor then owns it, with its deadlines,
// like an alert from a screening. The contact's risk level goes with it
// (high or imminent risk is a red alert). It returns the alert, or 0 if
// the rules raised none.
func (s *Service) RaiseAlert(ctx context.Context, p access.Principal, id int64) (int64, error) {
	var alert int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, _, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := s.mayAct(p, c)
		if err != nil {
			return err
		}
		if c.StudentID == 0 {
			return apperr.New(apperr.EConflict, "contact.no_student")
		}
		if s.Warning == nil {
			return apperr.Internal(errNoWarning)
		}
		sig := warning.Signal{StudentID: c.StudentID, Source: "contact", SourceID: id, At: s.now()}
		if c.RiskLevel != "" {
			sig.Flags = []string{"risk_" + c.RiskLevel}
		}
		if alert, err = s.Warning.Raise(ctx, tx, sig); err != nil {
			return err
		}
		if err := s.addAction(ctx, tx, c, "alert_raised"); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "contact.alert", id, "alert="+itoa(alert))
	})
	return alert, err
}

// EscalateCrisis is a counsellor's call for help with a child in danger:
// the station network's supervisors on duty (or, with nobody on duty,
// every supervisor of the network) are notified at once, in the app, by
// e-mail and SMS, and a known student gets a red alert. The crisis
// workflow itself (police, rescue, hand-over) builds on this.
func (s *Service) EscalateCrisis(ctx context.Context, p access.Principal, id int64) (int, error) {
	told := 0
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, _, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := s.mayAct(p, c)
		if err != nil {
			return err
		}
		top, err := NetworkTop(ctx, tx, c.StationPath)
		if err != nil {
			return err
		}
		users, err := supervisorsOnDuty(ctx, tx, top, db.Micro(s.now()))
		if err != nil {
			return err
		}
		for _, u := range users {
			if u == p.UserID || s.Notify == nil {
				continue
			}
			if err := s.Notify.Send(ctx, tx, u, notify.Note{Kind: "contact.crisis", RefType: "contact", RefID: id, Level: "red"}); err != nil {
				return err
			}
			told++
		}
		if c.StudentID != 0 && s.Warning != nil {
			if _, err := s.Warning.Raise(ctx, tx, warning.Signal{StudentID: c.StudentID, Source: "contact", SourceID: id,
				At: s.now(), Flags: []string{"risk_imminent"}}); err != nil {
				return err
			}
		}
		if err := s.addAction(ctx, tx, c, "crisis_escalated"); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "contact.crisis", id, "notified="+itoa(int64(told)))
	})
	return told, err
}

// supervisorsOnDuty are the supervisors on a duty shift in the network at
// top now; with none on duty, all its active supervisors.
func supervisorsOnDuty(ctx context.Context, tx *db.Tx, top string, now int64) ([]int64, error) {
	q := func(sql string, args ...any) ([]int64, error) {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}
	base := `SELECT DISTINCT mb.user_id FROM memberships mb JOIN users u ON u.id = mb.user_id JOIN org_units o ON o.id = mb.org_unit_id
		WHERE u.active = 1 AND mb.role = ? AND o.path >= ? AND o.path < ?`
	on, err := q(base+` AND EXISTS (SELECT 1 FROM duty_shifts d WHERE d.user_id = mb.user_id AND d.starts_at <= ? AND d.ends_at > ?) ORDER BY mb.user_id`,
		access.HotlineSupervisor, top, access.SubtreeEnd(top), now, now)
	if err != nil || len(on) > 0 {
		return on, err
	}
	return q(base+` ORDER BY mb.user_id`, access.HotlineSupervisor, top, access.SubtreeEnd(top))
}

// mayAct: the contact's holder, or anyone answering contacts (or
// supervising) at its station, may escalate from it, draft or final.
func (s *Service) mayAct(p access.Principal, c *Contact) (access.Membership, error) {
	if m, ok := p.At(access.HotlineContact, c.StationPath); ok {
		return m, nil
	}
	if m, ok := p.At(access.HotlineSupervise, c.StationPath); ok {
		return m, nil
	}
	if m, ok := p.Grant(access.HotlineContact); ok && c.CounsellorID == p.UserID {
		return m, nil
	}
	return access.Membership{}, apperr.NotFound()
}

// addAction records an action on the contact without touching the rest
// of its draft (and bumps its version, so an open form notices).
func (s *Service) addAction(ctx context.Context, tx *db.Tx, c *Contact, action string) error {
	for _, a := range c.Actions {
		if a == action {
			return nil
		}
	}
	_, err := tx.Exec(ctx, `UPDATE contacts SET actions = ?, version = version + 1, updated_at = ? WHERE id = ?`,
		joinCodes(append(c.Actions, action)), db.Micro(s.now()), c.ID)
	return err
}

type noWarning struct{}

func (noWarning) Error() string { return "hotline: no warning service" }

var errNoWarning = noWarning{}
