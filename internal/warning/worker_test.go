package warning_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/warning"
)

// realTime moves the environment to the wall clock with school hours all
// day: River's job rescuer measures "stuck" by the wall clock, not by
// jobs.Options.Now, so a clock more than an hour behind it has running
// timers rescued mid-run (see the report on internal/jobs).
func (e *env) realTime() {
	e.t.Helper()
	h, err := warning.ParseHours("sun-sat 00:00-24:00")
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc.Hours = h
	e.clk.Set(time.Now().Truncate(time.Millisecond))
}

// runner starts a second queue on the environment's database that works
// deadline timers with the real DeadlineWorker, on its own clock.
func (e *env) runner(clk *testutil.Clock) *jobs.Queue {
	e.t.Helper()
	q, err := jobs.New(e.d, jobs.Options{Now: clk.Now, PollInterval: 20 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	jobs.Handle(q, &warning.DeadlineWorker{S: e.svc})
	if err := q.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			e.t.Errorf("Stop: %v", err)
		}
	})
	return q
}

// jobMetadata returns the metadata of the first job of a kind, as JSON text.
func (e *env) jobMetadata(kind string) string {
	e.t.Helper()
	var out string
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		col := "json(metadata)"
		if tx.Dialect() == db.Postgres {
			col = "metadata::text"
		}
		return tx.QueryRow(ctx, `SELECT `+col+` FROM river_job WHERE kind = ? ORDER BY id LIMIT 1`, kind).Scan(&out)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// eventually waits up to 10 seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// The real timer: a red alert nobody acknowledges escalates to the school
// leader once its 15 minutes pass, exactly once.
func TestDeadlineWorkerEscalatesOnce(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	leader := e.user(access.SchoolLeader, e.a)
	e.realTime()
	q := e.runner(e.clk)
	id := e.mustRaise(red(e.students(e.a, "WRK-1")[0]))
	escalations := func() int64 { return e.num(`SELECT COUNT(*) FROM escalations WHERE item_id = ?`, id) }

	if err := q.Promote(e.ctx, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := escalations(); n != 0 {
		t.Fatalf("%d escalations before the deadline", n)
	}
	e.clk.Advance(16 * time.Minute)
	if err := q.Promote(e.ctx, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ack timer to escalate", func() bool { return escalations() == 1 })
	eventually(t, "the ack timer to complete", func() bool {
		return e.deadlineJobs(id)[warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "ack"}] == "completed"
	})
	time.Sleep(200 * time.Millisecond)
	if n := escalations(); n != 1 {
		t.Errorf("%d escalations, want exactly 1", n)
	}
	if a := e.alert(id); a.Owner != leader.UserID || a.Seq != 1 {
		t.Errorf("after the timer: %+v; want the school leader at seq 1", a)
	}
	if st := e.deadlineJobs(id)[warning.DeadlineArgs{AlertID: id, Seq: 1, Deadline: "ack"}]; st != "scheduled" {
		t.Errorf("next timer %q, want scheduled", st)
	}
}

// A timer that runs before the deadline by the service's clock (the job
// runner's clock is a minute fast) is snoozed until the deadline, and then
// escalates.
func TestDeadlineWorkerSnoozesWhenEarly(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	e.user(access.SchoolLeader, e.a)
	e.realTime()
	fast := testutil.NewClock(e.clk.Now().Add(time.Minute))
	q := e.runner(fast)
	id := e.mustRaise(red(e.students(e.a, "WRK-2")[0]))
	ack0 := warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "ack"}

	e.clk.Advance(14*time.Minute + 30*time.Second) // 30 seconds before the deadline
	fast.Advance(14*time.Minute + 30*time.Second)  // 30 seconds after it
	if err := q.Promote(e.ctx, fast.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the early timer to be snoozed", func() bool {
		return e.deadlineJobs(id)[ack0] == "scheduled" && strings.Contains(e.jobMetadata("warning.deadline"), `"snoozes"`)
	})
	if n := e.num(`SELECT COUNT(*) FROM escalations`); n != 0 {
		t.Fatalf("an early timer escalated (%d)", n)
	}
	e.clk.Advance(time.Minute)
	fast.Advance(time.Minute)
	if err := q.Promote(e.ctx, fast.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the snoozed timer to escalate", func() bool { return e.num(`SELECT COUNT(*) FROM escalations WHERE item_id = ?`, id) == 1 })
}
