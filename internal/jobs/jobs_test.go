package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/testutil"
)

// pingArgs is a tiny job; pingWorker counts its runs by N.
type pingArgs struct {
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "test.ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	mu   sync.Mutex
	runs map[int]int
}

func (w *pingWorker) Work(ctx context.Context, job *river.Job[pingArgs]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.runs[job.Args.N]++
	return nil
}

func (w *pingWorker) count(n int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.runs[n]
}

type env struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	clk *testutil.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := testutil.DB(t)
	ctx := context.Background()
	for range 2 { // idempotent
		if err := jobs.Migrate(ctx, d); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	// The clock starts at the wall clock: River's job rescuer measures
	// "stuck" by the wall clock, not by Options.Now, so a test clock more
	// than an hour behind it has running jobs rescued mid-run.
	return &env{t: t, ctx: ctx, d: d, clk: testutil.NewClock(time.Now().UTC().Truncate(time.Millisecond))}
}

// queue returns a new queue with a ping worker; started queues are stopped
// before the database closes.
func (e *env) queue(started bool) (*jobs.Queue, *pingWorker) {
	e.t.Helper()
	q, err := jobs.New(e.d, jobs.Options{Now: e.clk.Now, PollInterval: 20 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	w := &pingWorker{runs: map[int]int{}}
	jobs.Handle(q, w)
	if started {
		e.start(q)
	}
	return q, w
}

func (e *env) start(q *jobs.Queue) {
	e.t.Helper()
	if err := q.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.stop(q) })
}

func (e *env) stop(q *jobs.Queue) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		e.t.Errorf("Stop: %v", err)
	}
}

// at schedules a ping in a transaction of its own; fail rolls it back.
func (e *env) at(q *jobs.Queue, n int, when time.Time, fail error) error {
	return e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := q.At(ctx, tx, pingArgs{N: n}, when); err != nil {
			return err
		}
		return fail
	})
}

func (e *env) jobs(state string) int {
	e.t.Helper()
	var n int
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'test.ping' AND (? = '' OR CAST(state AS TEXT) = ?)`, state, state).Scan(&n)
	}); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) promote(q *jobs.Queue) {
	e.t.Helper()
	if err := q.Promote(e.ctx, e.clk.Now()); err != nil {
		e.t.Fatalf("Promote: %v", err)
	}
}

// waitRuns waits until job n ran want times, then a little longer to see
// that it does not run again.
func waitRuns(t *testing.T, w *pingWorker, n, want int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); w.count(n) < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if got := w.count(n); got != want {
		t.Fatalf("job %d ran %d times, want %d", n, got, want)
	}
}

func TestScheduledJobRunsOnceWhenDue(t *testing.T) {
	e := newEnv(t)
	q, w := e.queue(true)
	if err := e.at(q, 1, e.clk.Now().Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if n := e.jobs("scheduled"); n != 1 {
		t.Fatalf("%d scheduled jobs after commit, want 1", n)
	}
	e.promote(q)
	time.Sleep(200 * time.Millisecond)
	if got := w.count(1); got != 0 {
		t.Fatalf("a job due in an hour ran %d times", got)
	}
	e.clk.Advance(61 * time.Minute)
	e.promote(q)
	waitRuns(t, w, 1, 1)
	for deadline := time.Now().Add(5 * time.Second); e.jobs("completed") != 1 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := e.jobs("completed"); n != 1 {
		t.Errorf("%d completed jobs, want 1 (running %d, available %d, scheduled %d, retryable %d)", n,
			e.jobs("running"), e.jobs("available"), e.jobs("scheduled"), e.jobs("retryable"))
	}
}

func TestJobDueNowRunsWithoutPromote(t *testing.T) {
	e := newEnv(t)
	q, w := e.queue(true)
	if err := e.at(q, 2, time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	waitRuns(t, w, 2, 1)
}

func TestRolledBackTransactionLeavesNoJob(t *testing.T) {
	e := newEnv(t)
	q, w := e.queue(true)
	boom := errors.New("rolled back")
	if err := e.at(q, 3, time.Time{}, boom); !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want %v", err, boom)
	}
	if err := e.at(q, 4, e.clk.Now().Add(time.Minute), boom); !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want %v", err, boom)
	}
	if n := e.jobs(""); n != 0 {
		t.Errorf("%d jobs after rolled-back transactions, want 0", n)
	}
	e.clk.Advance(time.Hour)
	e.promote(q)
	time.Sleep(200 * time.Millisecond)
	if w.count(3)+w.count(4) != 0 {
		t.Errorf("a rolled-back job ran")
	}
}

// The same kind and arguments scheduled twice while pending is one job.
func TestSameArgsScheduledOnce(t *testing.T) {
	e := newEnv(t)
	q, _ := e.queue(false)
	for range 2 {
		if err := e.at(q, 5, e.clk.Now().Add(time.Hour), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.at(q, 6, e.clk.Now().Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if n := e.jobs(""); n != 2 {
		t.Errorf("%d jobs, want 2 (5 once, 6 once)", n)
	}
	e.clk.Advance(2 * time.Hour)
	e.promote(q)
	if n, err := q.Pending(e.ctx, e.clk.Now()); err != nil || n != 2 {
		t.Errorf("Pending = %d, %v; want 2 available", n, err)
	}
}

// A job still scheduled when the server stops runs once after a restart,
// on a new queue over the same database.
func TestJobSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	q1, w1 := e.queue(false)
	e.start(q1)
	if err := e.at(q1, 7, e.clk.Now().Add(30*time.Minute), nil); err != nil {
		t.Fatal(err)
	}
	e.stop(q1)

	q2, w2 := e.queue(true)
	e.clk.Advance(31 * time.Minute)
	e.promote(q2)
	waitRuns(t, w2, 7, 1)
	if got := w1.count(7); got != 0 {
		t.Errorf("the stopped queue ran the job %d times", got)
	}
}

// Scheduling an unregistered kind fails inside the transaction, so the
// caller's write fails with it.
func TestUnknownKindFails(t *testing.T) {
	e := newEnv(t)
	q, err := jobs.New(e.d, jobs.Options{Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.at(q, 8, time.Time{}, nil); err == nil {
		t.Error("At with a kind no worker handles succeeded")
	}
	if n := e.jobs(""); n != 0 {
		t.Errorf("%d jobs, want 0", n)
	}
}
