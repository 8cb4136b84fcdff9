package referral

import (
	"context"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/warning"
)

// DueArgs is the timer of the step a referral awaits, of one generation
// (Seq): every move and every escalation starts a new generation, so a
// timer of an older one does nothing when it runs.
type DueArgs struct {
	ReferralID int64 `json:"referral_id"`
	Seq        int   `json:"seq"`
}

// Kind names the job.
func (DueArgs) Kind() string { return "referral.due" }

var _ river.JobArgs = DueArgs{}

// DueWorker runs referral timers.
type DueWorker struct {
	river.WorkerDefaults[DueArgs]
	S *Service
}

// Work escalates the referral if its awaited step is overdue, or waits
// for the deadline.
func (w *DueWorker) Work(ctx context.Context, job *river.Job[DueArgs]) error {
	_, wait, err := w.S.Escalate(ctx, job.Args)
	if err == nil && wait > 0 {
		return river.JobSnooze(wait)
	}
	return err
}

// Escalate handles one timer. If the referral still awaits the step of
// the timer's generation and its deadline has passed, it tells the next
// person: first the sender, then up the chain above the sending unit
// (warning.NextHolder: the school leader, the district's and then the
// city's coordinator), each a repeat period after the last, until the
// step is done or the chain ends (the referral stays overdue on the lists).
// The escalation row is unique per referral and generation, so a timer
// that runs twice escalates once. Before the deadline it returns how long
// to wait. Notifications carry no personal data.
func (s *Service) Escalate(ctx context.Context, a DueArgs) (bool, time.Duration, error) {
	escalated := false
	var wait time.Duration
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.Serialize(ctx, "referral-row:"+itoa(a.ReferralID)); err != nil {
			return err
		}
		r, err := loadReferral(ctx, tx, a.ReferralID)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		switch {
		case r.seq != a.Seq || r.DueStep == "" || Final(r.State):
			return nil
		case now.Before(r.DueAt):
			wait = r.DueAt.Sub(now)
			return nil
		}
		to, chain, ok, err := s.nextToTell(ctx, tx, r)
		if err != nil || !ok {
			return err
		}
		res, err := tx.Exec(ctx, `INSERT INTO referral_escalations (referral_id, seq, step, level, due_at, at, to_user_id)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (referral_id, seq) DO NOTHING`,
			r.ID, r.seq+1, r.DueStep, r.escLevel+1, db.Micro(r.DueAt), db.Micro(now), to)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return apperr.Internal(err) // nil: escalated already
		}
		dl, err := DeadlinesOf(ctx, tx, r.Urgency)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE referrals SET esc_level = ?, chain_step = ?, seq = ? WHERE id = ?`,
			r.escLevel+1, chain, r.seq+1, r.ID); err != nil {
			return err
		}
		if err := s.Jobs.At(ctx, tx, DueArgs{ReferralID: r.ID, Seq: r.seq + 1}, now.Add(dl.Repeat)); err != nil {
			return err
		}
		note := notify.Note{Kind: "referral.overdue", RefType: "referral", RefID: r.ID}
		if to != r.SenderID {
			note = notify.Note{Kind: "referral.escalated", RefType: "referral_overdue", RefID: r.ID}
		}
		if err := s.Notify.Send(ctx, tx, to, note); err != nil {
			return err
		}
		escalated = true
		return s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "referral.escalate", ObjectType: "referral",
			ObjectID: itoa(r.ID), Outcome: audit.Success,
			Detail: "step=" + r.DueStep + " level=" + strconv.Itoa(r.escLevel+1) + " to=" + itoa(to)})
	})
	return escalated, wait, err
}

// nextToTell returns whom the next escalation of r goes to, and the chain
// step reached: the sender first (if still active), then the next holder
// of the chain above the sending unit who is not the sender.
func (s *Service) nextToTell(ctx context.Context, tx *db.Tx, r *Referral) (int64, int, bool, error) {
	if r.escLevel == 0 {
		var active int
		if err := tx.QueryRow(ctx, `SELECT active FROM users WHERE id = ?`, r.SenderID).Scan(&active); err != nil {
			return 0, 0, false, err
		}
		if active == 1 {
			return r.SenderID, warning.StepFirst, true, nil
		}
	}
	step := r.chainStep
	for {
		h, ok, err := warning.NextHolder(ctx, tx, step, r.fromPath)
		if err != nil || !ok {
			return 0, 0, false, err
		}
		if h.UserID != r.SenderID {
			return h.UserID, h.Step, true, nil
		}
		step = h.Step
	}
}
