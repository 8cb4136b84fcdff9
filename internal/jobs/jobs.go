// Package jobs is careloop's one durable job queue: River
// (github.com/riverqueue/river) on the same database as the records, with
// its SQLite driver or its database/sql driver on PostgreSQL. A timer is a
// job scheduled at its deadline and inserted in the same transaction as the
// record that needs it, so that a deadline is never lost between a commit
// and a schedule; River runs it once across restarts and server instances.
// Workers must be idempotent all the same: a job whose effect committed
// just before a crash runs again, so each effect carries a unique key.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Options tune the queue. The zero value suits a server.
type Options struct {
	// Now, when set, is the clock River uses to decide what is due (tests
	// drive a month in seconds). Production leaves it nil.
	Now func() time.Time
	// PollInterval is how often idle workers look for due jobs (default 1s).
	PollInterval time.Duration
	// Workers is how many jobs run at once (default 16: a screening
	// sitting's timers fall due together, and River fetches at most this
	// many jobs per poll).
	Workers int
	Log     *slog.Logger
}

// Queue inserts jobs in a caller's transaction and, once started, works them.
type Queue struct {
	db      *db.DB
	driver  riverdriver.Driver[*sql.Tx]
	workers *river.Workers
	opts    Options
	client  *river.Client[*sql.Tx]
}

func driverFor(d *db.DB) riverdriver.Driver[*sql.Tx] {
	if d.Dialect == db.Postgres {
		return riverdatabasesql.New(d.SQL())
	}
	return riversqlite.New(d.SQL())
}

// Migrate creates or updates River's tables. It is idempotent.
func Migrate(ctx context.Context, d *db.DB) error {
	m, err := rivermigrate.New(driverFor(d), &rivermigrate.Config{Logger: quiet()})
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// New returns a queue on d. Register workers with Handle before Start.
func New(d *db.DB, opts Options) (*Queue, error) {
	q := &Queue{db: d, driver: driverFor(d), workers: river.NewWorkers(), opts: opts}
	c, err := river.NewClient(q.driver, q.config())
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	q.client = c
	return q, nil
}

func (q *Queue) config() *river.Config {
	poll := q.opts.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	n := q.opts.Workers
	if n <= 0 {
		n = 16
	}
	log := q.opts.Log
	if log == nil {
		log = quiet()
	}
	cfg := &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}},
		Workers:           q.workers,
		FetchPollInterval: poll,
		FetchCooldown:     min(poll, 100*time.Millisecond),
		Logger:            log,
		MaxAttempts:       25,
		JobTimeout:        time.Minute,
	}
	if q.opts.Now != nil {
		cfg.Test.Time = clock(q.opts.Now)
		// River's maintenance reads the wall clock: with a simulated clock
		// behind it, it would "rescue" running jobs and delete finished
		// ones at once. A simulation keeps both.
		cfg.RescueStuckJobsAfter = 365 * 24 * time.Hour
		cfg.CompletedJobRetentionPeriod = 365 * 24 * time.Hour
	}
	return cfg
}

// Handle registers the worker for one kind of job.
func Handle[T river.JobArgs](q *Queue, w river.Worker[T]) {
	river.AddWorker(q.workers, w)
}

// Start begins working due jobs until ctx ends or Stop.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	return nil
}

// Stop waits for running jobs to finish, then stops.
func (q *Queue) Stop(ctx context.Context) error { return q.client.Stop(ctx) }

// At schedules args to run at at (now, if at is zero or past), inside tx:
// the job exists exactly when tx commits. A job with the same kind and
// arguments that is still pending is not inserted twice.
//
// In a group commit the job is inserted with the group's other jobs, in one
// call, just before the group commits (see db.Tx.Defer).
func (q *Queue) At(ctx context.Context, tx *db.Tx, args river.JobArgs, at time.Time) error {
	p := river.InsertManyParams{Args: args, InsertOpts: &river.InsertOpts{ScheduledAt: at, UniqueOpts: river.UniqueOpts{ByArgs: true}}}
	if tx.Defer("jobs", p, q.flush) {
		return nil
	}
	if _, err := q.client.InsertTx(ctx, tx.SQL(), p.Args, p.InsertOpts); err != nil {
		return apperr.Internal(fmt.Errorf("schedule %s: %w", args.Kind(), err))
	}
	return nil
}

// flush inserts the jobs deferred by a group commit.
func (q *Queue) flush(ctx context.Context, tx *db.Tx, items []any) error {
	params := make([]river.InsertManyParams, len(items))
	for i, it := range items {
		params[i] = it.(river.InsertManyParams)
	}
	if _, err := q.client.InsertManyTx(ctx, tx.SQL(), params); err != nil {
		return apperr.Internal(fmt.Errorf("schedule %d jobs: %w", len(params), err))
	}
	return nil
}

// Promote makes every job scheduled up to now available at once, with
// River's own scheduling query. River does this itself every few seconds;
// a simulation that moves its clock by hours calls it after each move.
func (q *Queue) Promote(ctx context.Context, now time.Time) error {
	now = now.UTC()
	_, err := q.driver.GetExecutor().JobSchedule(ctx, &riverdriver.JobScheduleParams{Max: 100000, Now: &now})
	return err
}

// Pending counts jobs that are not finished and not merely scheduled:
// available, running, waiting to retry or pending. A simulation waits for
// it to reach 0 after Promote. (now is kept for callers; River's retry
// times are its own.)
func (q *Queue) Pending(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := q.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'running', 'retryable', 'pending')`).Scan(&n)
	})
	return n, err
}

type clock func() time.Time

func (c clock) Now() time.Time { return c() }
func (c clock) NowOrNil() *time.Time {
	t := c()
	return &t
}

func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelError + 4}))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
