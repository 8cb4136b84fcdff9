package referral

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
)

// lockFor reads referral id for a change by side, serialised against its
// timer and other changes (PostgreSQL), and returns the membership through
// which p acts. A referral p cannot act on for side is ENotFound.
func (s *Service) lockFor(ctx context.Context, tx *db.Tx, p access.Principal, id int64, side string) (*Referral, access.Membership, error) {
	if err := tx.Serialize(ctx, "referral-row:"+itoa(id)); err != nil {
		return nil, access.Membership{}, err
	}
	r, err := loadReferral(ctx, tx, id)
	if err != nil {
		return nil, access.Membership{}, err
	}
	m, ok := grantFor(p, r, side)
	if !ok {
		return nil, m, apperr.NotFound()
	}
	return r, m, nil
}

// eventKinds names the timeline entry of each action.
var eventKinds = map[string]string{ActAccept: "accepted", ActDecline: "declined", ActAppointment: "appointment_set", ActSeen: "seen",
	ActFeedback: "feedback", ActClose: "closed"}

// change is what one move writes besides the state: columns and values,
// the event's detail (codes) and note (sealed), and whom to tell.
type change struct {
	set    []string
	args   []any
	detail string
	note   string
	tell   string // a notification kind for the sender, or ""
}

// move takes action on referral id for side, if the state machine allows
// it: apply checks the input against the referral and says what to write.
// The state, the next deadline and its timer, the timeline entry and the
// audit entry commit together.
func (s *Service) move(ctx context.Context, p access.Principal, id int64, action, side string,
	apply func(ctx context.Context, tx *db.Tx, r *Referral, now time.Time) (change, error)) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, m, err := s.lockFor(ctx, tx, p, id, side)
		if err != nil {
			return err
		}
		to, ok := Allowed(r.State, action, side)
		if !ok {
			return apperr.New(apperr.EConflict, "referral.not_allowed")
		}
		now := s.now()
		c, err := apply(ctx, tx, r, now)
		if err != nil {
			return err
		}
		from := r.State
		r.State = to
		q := `UPDATE referrals SET state = ?`
		for _, col := range c.set {
			q += ", " + col + " = ?"
		}
		if _, err := tx.Exec(ctx, q+` WHERE id = ?`, append(append([]any{to}, c.args...), id)...); err != nil {
			return err
		}
		if err := s.restartDue(ctx, tx, r); err != nil {
			return err
		}
		if err := s.event(ctx, tx, p, m, r, eventKinds[action], from, to, c.detail, c.note); err != nil {
			return err
		}
		if c.tell != "" {
			if err := s.Notify.Send(ctx, tx, r.SenderID, notify.Note{Kind: c.tell, RefType: "referral", RefID: id}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "referral."+action, id, strings.TrimSpace("student="+itoa(r.StudentID)+" from="+from+" to="+to+" "+c.detail))
	})
}

// Accept accepts a referral sent to the caller's unit (referral.hospital).
func (s *Service) Accept(ctx context.Context, p access.Principal, id int64) error {
	return s.move(ctx, p, id, ActAccept, SideHospital, func(_ context.Context, _ *db.Tx, r *Referral, now time.Time) (change, error) {
		r.AcceptedAt = now
		return change{set: []string{"accepted_at"}, args: []any{db.Micro(now)}}, nil
	})
}

// Decline declines a referral sent to the caller's unit, with a reason
// (a code) and, for "other", an explanation (sealed). The sender is told.
func (s *Service) Decline(ctx context.Context, p access.Principal, id int64, reason, note string) error {
	note = strings.TrimSpace(note)
	fields := map[string]string{}
	if !slices.Contains(DeclineReasons, reason) {
		fields["reason"] = "referral.decline_reason_required"
	}
	switch {
	case reason == "other" && note == "":
		fields["note"] = "form.required"
	case len([]rune(note)) > 2000:
		fields["note"] = "form.too_long"
	}
	if len(fields) > 0 {
		return apperr.Invalid("form.invalid", fields)
	}
	return s.move(ctx, p, id, ActDecline, SideHospital, func(_ context.Context, _ *db.Tx, r *Referral, now time.Time) (change, error) {
		return change{set: []string{"decline_reason", "closed_at"}, args: []any{reason, db.Micro(now)}, detail: "reason=" + reason,
			note: note, tell: "referral.declined"}, nil
	})
}

// SetAppointment sets (or moves) the date of the first visit; the
// feedback is then due a set time after it. The sender is told.
func (s *Service) SetAppointment(ctx context.Context, p access.Principal, id int64, at time.Time) error {
	return s.move(ctx, p, id, ActAppointment, SideHospital, func(_ context.Context, _ *db.Tx, r *Referral, now time.Time) (change, error) {
		switch {
		case at.IsZero():
			return change{}, apperr.Invalid("form.invalid", map[string]string{"appointment_at": "form.required"})
		case at.Before(r.SentAt.Add(-24*time.Hour)) || at.After(now.AddDate(1, 0, 0)):
			return change{}, apperr.Invalid("form.invalid", map[string]string{"appointment_at": "referral.appointment_bad"})
		}
		r.AppointmentAt = at
		return change{set: []string{"appointment_at"}, args: []any{db.Micro(at)}, detail: "at=" + at.UTC().Format(time.RFC3339),
			tell: "referral.appointment"}, nil
	})
}

// MarkSeen records that the child was seen (the first visit), at at (the
// zero time: now), which may not lie in the future or before the referral.
func (s *Service) MarkSeen(ctx context.Context, p access.Principal, id int64, at time.Time) error {
	return s.move(ctx, p, id, ActSeen, SideHospital, func(_ context.Context, _ *db.Tx, r *Referral, now time.Time) (change, error) {
		if at.IsZero() {
			at = now
		}
		if at.After(now.Add(5*time.Minute)) || at.Before(r.SentAt.Truncate(time.Minute)) { // forms give minutes
			return change{}, apperr.Invalid("form.invalid", map[string]string{"seen_at": "referral.seen_bad"})
		}
		r.SeenAt = at
		return change{set: []string{"seen_at"}, args: []any{db.Micro(at)}, detail: "at=" + at.UTC().Format(time.RFC3339)}, nil
	})
}

// Close closes a referral on the sender's side: "completed" once feedback
// has come back, or another reason (a code; "other" needs an explanation,
// sealed) at any point before.
func (s *Service) Close(ctx context.Context, p access.Principal, id int64, reason, note string) error {
	note = strings.TrimSpace(note)
	return s.move(ctx, p, id, ActClose, SideSender, func(_ context.Context, _ *db.Tx, r *Referral, now time.Time) (change, error) {
		if reason == "" && r.State == FeedbackReceived {
			reason = "completed"
		}
		fields := map[string]string{}
		switch {
		case !slices.Contains(CloseReasons, reason):
			fields["reason"] = "referral.close_reason_required"
		case (reason == "completed") != (r.State == FeedbackReceived):
			fields["reason"] = "referral.close_reason_bad"
		}
		switch {
		case reason == "other" && note == "":
			fields["note"] = "form.required"
		case len([]rune(note)) > 2000:
			fields["note"] = "form.too_long"
		}
		if len(fields) > 0 {
			return change{}, apperr.Invalid("form.invalid", fields)
		}
		return change{set: []string{"close_reason", "closed_at"}, args: []any{reason, db.Micro(now)}, detail: "reason=" + reason, note: note}, nil
	})
}
