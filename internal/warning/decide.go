package warning

import (
	"context"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// Decisions that close an alert. Nothing closes without one.
const (
	DecisionCase          = "case"           // opened or joined a case
	DecisionInCare        = "in_care"        // already in care (an open case, a hospital)
	DecisionFalsePositive = "false_positive" // with a reason
	DecisionReferred      = "referred"       // referred to a hospital or agency
)

// Decisions lists the closing decisions.
var Decisions = []string{DecisionCase, DecisionInCare, DecisionFalsePositive, DecisionReferred}

// handle loads an open alert the caller may act on (alert.handle over the
// student's school, or its owner) inside tx, locking it on PostgreSQL.
func (s *Service) handle(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (*Alert, access.Membership, error) {
	if err := tx.Serialize(ctx, "alert-row:"+itoa(id)); err != nil {
		return nil, access.Membership{}, err
	}
	a, err := s.findAlert(ctx, tx, p, id)
	if err != nil {
		return nil, access.Membership{}, err
	}
	m, ok := p.At(access.AlertHandle, a.SchoolPath)
	if !ok {
		if a.OwnerID != p.UserID {
			return nil, m, apperr.NotFound()
		}
		m, _ = p.Grant(access.AlertHandle)
	}
	if a.ClosedAt != 0 {
		return nil, m, apperr.New(apperr.EConflict, "alert.closed")
	}
	return a, m, nil
}

func (s *Service) audit(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: "alert", ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// Acknowledge records that someone has taken the alert in hand: the
// acknowledgement deadline is met, and the first-contact timer starts.
// The one who acknowledges becomes the owner.
func (s *Service) Acknowledge(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		a, m, err := s.handle(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if a.AcknowledgedAt != 0 {
			return nil
		}
		now := s.now()
		// Someone of the student's school taking the alert brings it back
		// to the first step, so a missed first contact escalates along the
		// whole chain again; someone above keeps the step reached.
		step := a.Step
		if m.OrgPath == a.SchoolPath {
			step = StepFirst
		}
		if _, err := tx.Exec(ctx, `UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, owner_user_id = ?,
			owner_org_id = CASE WHEN ? > 0 THEN ? ELSE owner_org_id END, step = ? WHERE id = ?`, db.Micro(now), p.UserID, p.UserID, m.OrgID, m.OrgID,
			step, id); err != nil {
			return err
		}
		if a.FirstContactAt == 0 {
			if err := s.Jobs.At(ctx, tx, DeadlineArgs{AlertID: id, Seq: a.Seq, Deadline: "contact"}, db.FromMicro(a.ContactDueAt)); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, p, m, "alert.acknowledge", id, "")
	})
}

// RecordContact records the first contact with the student (a talk, a
// call to the family) for an open alert.
func (s *Service) RecordContact(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		a, m, err := s.handle(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := s.contact(ctx, tx, a, p.UserID); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, m, "alert.contact", id, "")
	})
}

func (s *Service) contact(ctx context.Context, tx *db.Tx, a *Alert, userID int64) error {
	now := db.Micro(s.now())
	_, err := tx.Exec(ctx, `UPDATE alerts SET state = 'contacted',
		acknowledged_at = CASE WHEN acknowledged_at = 0 THEN ? ELSE acknowledged_at END,
		acknowledged_by = CASE WHEN acknowledged_by = 0 THEN ? ELSE acknowledged_by END,
		first_contact_at = CASE WHEN first_contact_at = 0 THEN ? ELSE first_contact_at END WHERE id = ?`, now, userID, now, a.ID)
	return err
}

// NoteContact records, in the caller's transaction, a contact with a
// student made elsewhere (a follow-up of a case): it meets the first
// contact deadline of the student's open alert, if any.
func (s *Service) NoteContact(ctx context.Context, tx *db.Tx, studentID, userID int64) error {
	now := db.Micro(s.now())
	_, err := tx.Exec(ctx, `UPDATE alerts SET state = 'contacted',
		acknowledged_at = CASE WHEN acknowledged_at = 0 THEN ? ELSE acknowledged_at END,
		acknowledged_by = CASE WHEN acknowledged_by = 0 THEN ? ELSE acknowledged_by END,
		first_contact_at = ? WHERE student_id = ? AND closed_at = 0 AND first_contact_at = 0`, now, userID, now, studentID)
	return err
}

// Closing is the decision that closes an alert.
type Closing struct {
	Decision string
	Note     string // required for a false positive; sealed
	CaseID   int64  // the case opened or joined
}

// Close ends an alert with a decision. An alert not yet acknowledged is
// acknowledged by closing it. EInvalid without a decision, or a false
// positive without a reason.
func (s *Service) Close(ctx context.Context, p access.Principal, id int64, c Closing) error {
	c.Note = strings.TrimSpace(c.Note)
	ok := false
	for _, d := range Decisions {
		ok = ok || d == c.Decision
	}
	switch {
	case !ok:
		return apperr.Invalid("alert.decision_required", map[string]string{"decision": "alert.decision_required"})
	case c.Decision == DecisionFalsePositive && c.Note == "":
		return apperr.Invalid("alert.reason_required", map[string]string{"note": "alert.reason_required"})
	case len(c.Note) > 4000:
		return apperr.Invalid("form.too_long", map[string]string{"note": "form.too_long"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return s.CloseTx(ctx, tx, p, id, c)
	})
}

// CloseTx is Close inside the caller's transaction (opening a case from an
// alert closes the alert in the same transaction).
func (s *Service) CloseTx(ctx context.Context, tx *db.Tx, p access.Principal, id int64, c Closing) error {
	a, m, err := s.handle(ctx, tx, p, id)
	if err != nil {
		return err
	}
	var note []byte
	if c.Note != "" {
		if note, err = s.Seal.Seal([]byte(c.Note), noteAAD(id)); err != nil {
			return apperr.Internal(err)
		}
	}
	now := db.Micro(s.now())
	if _, err := tx.Exec(ctx, `UPDATE alerts SET state = 'closed', closed_at = ?, closed_by = ?, decision = ?, decision_note = ?, case_id = ?,
		acknowledged_at = CASE WHEN acknowledged_at = 0 THEN ? ELSE acknowledged_at END,
		acknowledged_by = CASE WHEN acknowledged_by = 0 THEN ? ELSE acknowledged_by END WHERE id = ?`,
		now, p.UserID, c.Decision, note, c.CaseID, now, p.UserID, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, 'alert_closed', ?, ?, ?)`,
		a.StudentID, now, p.UserID, a.SchoolID, "alert="+itoa(id)+" decision="+c.Decision); err != nil {
		return err
	}
	return s.audit(ctx, tx, p, m, "alert.close", id, "decision="+c.Decision+" case="+itoa(c.CaseID))
}

func noteAAD(id int64) string { return "alerts:" + itoa(id) + ":decision_note" }
