package warning

import (
	"context"
	"errors"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// GuardianConcern is a concern a guardian reports about their own child in
// the parent portal. The portal has already checked that the guardian is
// the child's, and filed the report in its own table (family_concerns).
type GuardianConcern struct {
	StudentID  int64
	GuardianID int64 // the guardians row (actor of the audit entry)
	ReportID   int64 // the family_concerns row
	Signs      []string
	Urgency    string // routine, soon, urgent: given to the rules as the flags "guardian" and "urgency_<urgency>"
	At         time.Time
}

// errNoAlert: the rules raised nothing for a guardian's concern; with the
// default rules (concern-reported) this cannot happen.
var errNoAlert = errors.New("warning: no rule fired for a guardian's concern")

// RaiseGuardianConcern runs the warning rules on a guardian's concern in
// the caller's transaction, through the same path as staff concerns (a
// signal of source "concern"): a new alert with its owner at once, or the
// child's open alert gains the signal. No signal may be lost: when no rule
// fires, it fails, so the caller's transaction (and the report) rolls back
// rather than leaving a concern nobody owns. It returns the alert's id.
func (s *Service) RaiseGuardianConcern(ctx context.Context, tx *db.Tx, c GuardianConcern) (int64, error) {
	signs := known(c.Signs, ConcernSigns)
	if len(signs) == 0 {
		return 0, apperr.Invalid("form.invalid", map[string]string{"signs": "concern.signs_required"})
	}
	if c.At.IsZero() {
		c.At = s.now()
	}
	var schoolID int64
	if err := tx.QueryRow(ctx, `SELECT school_id FROM students WHERE id = ? AND status = 'active'`, c.StudentID).Scan(&schoolID); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, org_unit_id, detail) VALUES (?, ?, 'concern', ?, ?)`,
		c.StudentID, db.Micro(c.At), schoolID, "guardian_concern="+itoa(c.ReportID)); err != nil {
		return 0, err
	}
	if err := s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: c.GuardianID, ActorRole: "guardian", ActorOrgID: schoolID,
		Action: "concern.guardian", ObjectType: "student", ObjectID: itoa(c.StudentID), Outcome: audit.Success,
		Detail: "guardian_concern=" + itoa(c.ReportID)}); err != nil {
		return 0, err
	}
	id, err := s.Raise(ctx, tx, Signal{StudentID: c.StudentID, Source: "concern", Origin: "guardian_concern", SourceID: c.ReportID,
		At: c.At, Signs: signs, Flags: flags(c.Urgency)})
	if err != nil {
		return 0, err
	}
	if id == 0 {
		return 0, apperr.Internal(errNoAlert)
	}
	return id, nil
}

// flags tell the rules that a concern comes from a guardian and how urgent
// they said it is, so that a unit may write a rule such as
// `source == 'concern' && 'urgency_urgent' in flags`.
func flags(urgency string) []string {
	out := []string{"guardian"}
	if urgency != "" {
		out = append(out, "urgency_"+urgency)
	}
	return out
}
