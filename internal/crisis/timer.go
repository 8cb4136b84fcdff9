package crisis

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
)

// SafetyArgs is one round of the safety timer of a police request (the
// request step): due at Due (microseconds). Round 1 tells the supervisors
// on duty; later rounds tell the centre's leadership too.
type SafetyArgs struct {
	IncidentID  int64 `json:"incident_id"`
	RequestStep int64 `json:"request_step"`
	Round       int   `json:"round"`
	Due         int64 `json:"due"`
}

// Kind names the job.
func (SafetyArgs) Kind() string { return "crisis.safety" }

var _ river.JobArgs = SafetyArgs{}

// SafetyWorker runs safety timers.
type SafetyWorker struct {
	river.WorkerDefaults[SafetyArgs]
	S *Service
}

// Work alarms if the child's safety is still unconfirmed, or waits for the
// round's time.
func (w *SafetyWorker) Work(ctx context.Context, job *river.Job[SafetyArgs]) error {
	_, wait, err := w.S.CheckSafety(ctx, job.Args)
	if err == nil && wait > 0 {
		return river.JobSnooze(wait)
	}
	return err
}

// arm schedules a round of the safety timer in tx.
func (s *Service) arm(ctx context.Context, tx *db.Tx, id, requestStep int64, round int, due time.Time) error {
	if s.Jobs == nil {
		return nil
	}
	return s.Jobs.At(ctx, tx, SafetyArgs{IncidentID: id, RequestStep: requestStep, Round: round, Due: db.Micro(due)}, due)
}

// CheckSafety handles one round of the safety timer. While the police
// request it belongs to stands (waiting for its co-signature or in
// effect) and the child's safety is not confirmed, it tells the
// supervisors on duty (with nobody on duty, every co-signer of the unit's
// chain) and, from the second round, the coordinators of the unit's
// district and city; and schedules the next round one period later, all in
// one transaction. The alarm row is unique per round, so a round that runs
// twice alarms once. It stops once safety is confirmed (or the incident
// closed, the request declined, withdrawn or voided). It reports whether
// it alarmed, and how long to wait when it ran early.
func (s *Service) CheckSafety(ctx context.Context, a SafetyArgs) (bool, time.Duration, error) {
	alarmed := false
	var wait time.Duration
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, a.IncidentID)
		if err != nil {
			return notFoundIsDone(err)
		}
		var cosign int
		var decision string
		err = tx.QueryRow(ctx, `SELECT s.cosign, COALESCE(c.decision, '') FROM incident_steps s LEFT JOIN incident_cosigns c ON c.step_id = s.id
			WHERE s.id = ? AND s.incident_id = ?`, a.RequestStep, a.IncidentID).Scan(&cosign, &decision)
		if err != nil {
			return notFoundIsDone(err)
		}
		pending := cosign == 1 && decision == ""
		switch {
		case inc.State == Closed, safe(inc.State), decision == Declined, decision == Withdrawn:
			return nil
		case !pending && inc.RequestStep() != a.RequestStep:
			return nil
		}
		now := s.now()
		if db.Micro(now) < a.Due {
			wait = db.FromMicro(a.Due).Sub(now)
			return nil
		}
		users, err := s.supervisors(ctx, tx, inc.unitPath)
		if err != nil {
			return err
		}
		if a.Round > 1 {
			lead, err := leadership(ctx, tx, inc.unitPath)
			if err != nil {
				return err
			}
			users = union(users, lead)
		}
		res, err := tx.Exec(ctx, `INSERT INTO incident_alarms (incident_id, request_step, round, at, notified) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (incident_id, request_step, round) DO NOTHING`, a.IncidentID, a.RequestStep, a.Round, db.Micro(now), len(users))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // this round alarmed already
		}
		for _, u := range users {
			if s.Notify == nil {
				break
			}
			if err := s.Notify.Send(ctx, tx, u, notify.Note{Kind: "incident.safety_overdue", RefType: "incident", RefID: a.IncidentID,
				Level: "red"}); err != nil {
				return err
			}
		}
		if err := s.arm(ctx, tx, a.IncidentID, a.RequestStep, a.Round+1, now.Add(s.timeout())); err != nil {
			return err
		}
		alarmed = true
		return s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "incident.safety_alarm", ObjectType: "incident",
			ObjectID: itoa(a.IncidentID), Outcome: audit.Success, Detail: "round=" + itoa(int64(a.Round)) + " state=" + inc.State +
				" notified=" + itoa(int64(len(users)))})
	})
	return alarmed, wait, err
}

// RequestStep is the police request in effect (0: none).
func (inc *Incident) RequestStep() int64 { return inc.requestStep }

// notFoundIsDone: a timer of an incident or step that does not exist has
// nothing to do.
func notFoundIsDone(err error) error {
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil
	}
	return err
}

func union(a, b []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, v := range append(append([]int64{}, a...), b...) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
