package referral

import (
	"context"
	"slices"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Deadlines of one urgency: how long the hospital has to accept (from
// sending), to set an appointment (from acceptance) and to return feedback
// (from the visit), and how often an overdue step escalates again.
type Deadlines struct {
	Accept, Appointment, Feedback, Repeat time.Duration
}

// DefaultDeadlines are the deadlines the migration installs.
var DefaultDeadlines = map[string]Deadlines{
	Urgent:  {Accept: 4 * time.Hour, Appointment: 24 * time.Hour, Feedback: 14 * 24 * time.Hour, Repeat: 2 * time.Hour},
	Routine: {Accept: 2 * 24 * time.Hour, Appointment: 14 * 24 * time.Hour, Feedback: 30 * 24 * time.Hour, Repeat: 24 * time.Hour},
}

// DeadlinesOf reads the deadlines of an urgency.
func DeadlinesOf(ctx context.Context, tx *db.Tx, urgency string) (Deadlines, error) {
	var a, b, c, r int64
	err := tx.QueryRow(ctx, `SELECT accept_minutes, appointment_minutes, feedback_minutes, repeat_minutes FROM referral_deadlines WHERE urgency = ?`,
		urgency).Scan(&a, &b, &c, &r)
	m := func(n int64) time.Duration { return time.Duration(n) * time.Minute }
	return Deadlines{Accept: m(a), Appointment: m(b), Feedback: m(c), Repeat: m(r)}, err
}

// FindDeadlines returns the deadlines of every urgency.
func (s *Service) FindDeadlines(ctx context.Context) (map[string]Deadlines, error) {
	out := map[string]Deadlines{}
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, u := range Urgencies {
			d, err := DeadlinesOf(ctx, tx, u)
			if err != nil {
				return err
			}
			out[u] = d
		}
		return nil
	})
	return out, err
}

// SetDeadlines changes the deadlines of an urgency. The caller needs
// referral.manage at the top of the network (the city sets them). Running
// referrals keep the deadline they have; the next step uses the new one.
func (s *Service) SetDeadlines(ctx context.Context, p access.Principal, urgency string, d Deadlines) error {
	fields := map[string]string{}
	if !slices.Contains(Urgencies, urgency) {
		fields["urgency"] = "referral.urgency_unknown"
	}
	year := 365 * 24 * time.Hour
	for name, v := range map[string]time.Duration{"accept": d.Accept, "appointment": d.Appointment, "feedback": d.Feedback, "repeat": d.Repeat} {
		if v < time.Minute || v > year {
			fields[name] = "referral.deadline_bad"
		}
	}
	if len(fields) > 0 {
		return apperr.Invalid("form.invalid", fields)
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&path); err != nil {
			return err
		}
		m, ok := p.At(access.ReferralManage, path)
		if !ok {
			return apperr.Forbidden()
		}
		minutes := func(v time.Duration) int64 { return int64(v / time.Minute) }
		if _, err := tx.Exec(ctx, `UPDATE referral_deadlines SET accept_minutes = ?, appointment_minutes = ?, feedback_minutes = ?, repeat_minutes = ?
			WHERE urgency = ?`, minutes(d.Accept), minutes(d.Appointment), minutes(d.Feedback), minutes(d.Repeat), urgency); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "referral.deadlines", 0, "urgency="+urgency+" accept="+d.Accept.String()+" appointment="+
			d.Appointment.String()+" feedback="+d.Feedback.String()+" repeat="+d.Repeat.String())
	})
}

// nextDue returns the step a referral in state awaits and its deadline.
// The feedback is due a set time after the visit: the appointment, or
// when the child was seen.
func nextDue(r *Referral, dl Deadlines) (string, time.Time) {
	switch r.State {
	case Sent:
		return "accept", r.SentAt.Add(dl.Accept)
	case Accepted:
		return "appointment", r.AcceptedAt.Add(dl.Appointment)
	case AppointmentSet:
		return "feedback", r.AppointmentAt.Add(dl.Feedback)
	case Seen:
		return "feedback", r.SeenAt.Add(dl.Feedback)
	}
	return "", time.Time{}
}

// restartDue sets the step a referral now awaits, after a move to r.State:
// the escalation starts over, a new timer generation begins (older timers
// do nothing), and the new deadline's timer is scheduled in tx.
func (s *Service) restartDue(ctx context.Context, tx *db.Tx, r *Referral) error {
	dl, err := DeadlinesOf(ctx, tx, r.Urgency)
	if err != nil {
		return err
	}
	step, due := nextDue(r, dl)
	r.seq++
	r.DueStep, r.DueAt = step, due
	if _, err := tx.Exec(ctx, `UPDATE referrals SET due_step = ?, due_at = ?, esc_level = 0, chain_step = 0, seq = ? WHERE id = ?`,
		step, db.Micro(due), r.seq, r.ID); err != nil {
		return err
	}
	if step == "" {
		return nil
	}
	return s.Jobs.At(ctx, tx, DueArgs{ReferralID: r.ID, Seq: r.seq}, due)
}
