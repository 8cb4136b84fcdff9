package warning

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
)

// DeadlineWorker runs alert timers.
type DeadlineWorker struct {
	river.WorkerDefaults[DeadlineArgs]
	S *Service
}

// Work escalates the alert if the timer's deadline passed unmet.
func (w *DeadlineWorker) Work(ctx context.Context, job *river.Job[DeadlineArgs]) error {
	_, wait, err := w.S.Escalate(ctx, job.Args)
	if err == nil && wait > 0 {
		return river.JobSnooze(wait)
	}
	return err
}

// Escalate handles one timer: if the alert is still open, of the timer's
// generation, and the deadline unmet, the alert moves one step up the
// chain (to the next step that has someone), that person is told, the
// deadline starts again, and its next timer is scheduled, all in one
// transaction. The escalation row is unique per alert and generation, so a
// timer that runs twice escalates once. At the top of the chain the alert
// stays overdue on the city's list. It reports whether it escalated, and
// how long to wait if it ran before the deadline.
func (s *Service) Escalate(ctx context.Context, a DeadlineArgs) (bool, time.Duration, error) {
	escalated := false
	var wait time.Duration
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		// The same lock as a person acting on the alert (handle): an
		// acknowledgement and a timer never interleave (PostgreSQL).
		if err := tx.Serialize(ctx, "alert-row:"+itoa(a.AlertID)); err != nil {
			return err
		}
		var studentID, ackAt, contactAt, closedAt, ackDue, contactDue int64
		var level, path string
		var seq, step int
		err := tx.QueryRow(ctx, `SELECT a.student_id, a.level, a.seq, a.step, a.acknowledged_at, a.first_contact_at, a.closed_at,
			a.ack_due_at, a.contact_due_at, o.path FROM alerts a JOIN students st ON st.id = a.student_id
			JOIN org_units o ON o.id = st.school_id WHERE a.id = ?`, a.AlertID).Scan(&studentID, &level, &seq, &step, &ackAt,
			&contactAt, &closedAt, &ackDue, &contactDue, &path)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return nil
		}
		if err != nil {
			return err
		}
		due := ackDue
		met := ackAt != 0
		if a.Deadline == "contact" {
			due, met = contactDue, contactAt != 0
		}
		now := s.now()
		if closedAt != 0 || seq != a.Seq || met {
			return nil
		}
		if db.Micro(now) < due {
			wait = db.FromMicro(due).Sub(now) // early: run again at the deadline
			return nil
		}
		h, ok, err := nextHolder(ctx, tx, step, path)
		if err != nil || !ok {
			return err
		}
		dl, err := DeadlinesOf(ctx, tx, level)
		if err != nil {
			return err
		}
		// DO NOTHING rather than a caught unique violation: on PostgreSQL a
		// failed statement aborts the whole transaction.
		res, err := tx.Exec(ctx, `INSERT INTO escalations (item_type, item_id, seq, deadline, due_at, at, step, to_user_id, to_org_id)
			VALUES ('alert', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (item_type, item_id, seq) DO NOTHING`,
			a.AlertID, seq+1, a.Deadline, due, db.Micro(now), h.step, h.userID, h.orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // escalated already
		}
		seq++
		// Only the deadline that passed starts again; a deadline already
		// met keeps the time it had (a late acknowledgement stays late).
		next, nextAt := DeadlineArgs{AlertID: a.AlertID, Seq: seq, Deadline: "ack"}, now.Add(dl.Ack)
		if ackAt != 0 {
			next.Deadline, nextAt = "contact", now.Add(dl.Contact)
			contactDue = db.Micro(nextAt)
		} else {
			ackDue = db.Micro(nextAt)
		}
		if _, err := tx.Exec(ctx, `UPDATE alerts SET step = ?, owner_user_id = ?, owner_org_id = ?, seq = ?, ack_due_at = ?, contact_due_at = ?
			WHERE id = ?`, h.step, h.userID, h.orgID, seq, ackDue, contactDue, a.AlertID); err != nil {
			return err
		}
		if err := s.Jobs.At(ctx, tx, next, nextAt); err != nil {
			return err
		}
		if err := s.Notify.Send(ctx, tx, h.userID, notify.Note{Kind: "alert.escalated", RefType: "alert", RefID: a.AlertID, Level: level}); err != nil {
			return err
		}
		escalated = true
		return s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "alert.escalate", ObjectType: "alert",
			ObjectID: itoa(a.AlertID), Outcome: audit.Success,
			Detail: "deadline=" + a.Deadline + " step=" + itoa(int64(h.step)) + " to=" + itoa(h.userID)})
	})
	return escalated, wait, err
}
