package loopsim

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/warning"
)

// cst is China Standard Time, the zone of warning.DefaultHours.
var cst = time.FixedZone("CST", 8*3600)

// world is what outlives one server process: where the database is, the
// sealing keys, the audit trail's settings and the clock.
type world struct {
	t       *testing.T
	ctx     context.Context
	clk     *testutil.Clock
	url     string // a fresh PostgreSQL database, or "" for SQLite in dir
	dir     string
	keys    *seal.Keyring
	log     *audit.Log
	catalog *instrument.Catalog
}

// server is one careloop process: its database pools, the services wired
// as internal/app/env.go's open and loop wire them (plus the clock), and
// its started job queue.
type server struct {
	db     *db.DB
	q      *jobs.Queue
	org    *org.Service
	ppl    *people.Service
	stu    *student.Service
	screen *screening.Service
	notify *notify.Service
	warn   *warning.Service
	care   *care.Service
}

func newWorld(t *testing.T, start time.Time) *world {
	t.Helper()
	// testutil.DatabaseURL is what testutil.DB uses; the simulation needs the
	// address itself to open the database again from a second process.
	w := &world{t: t, ctx: context.Background(), clk: testutil.NewClock(start), url: testutil.DatabaseURL(t),
		dir: filepath.Join(t.TempDir(), "data"), keys: testutil.Keyring(t)}
	var err error
	if w.log, err = audit.New("sha256", w.clk.Now); err != nil {
		t.Fatal(err)
	}
	if w.catalog, err = instrument.Library(); err != nil {
		t.Fatal(err)
	}
	return w
}

// boot starts a server process on the world's database: it migrates and
// builds the services and the job queue with every worker the app
// registers (start starts the queue).
func (w *world) boot() *server {
	w.t.Helper()
	ctx := w.ctx
	d, err := db.Open(ctx, w.url, w.dir)
	if err != nil {
		w.t.Fatalf("open database: %v", err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		w.t.Fatalf("migrate: %v", err)
	}
	now := w.clk.Now
	s := &server{db: d,
		org: &org.Service{DB: d, Audit: w.log, Now: now},
		ppl: &people.Service{DB: d, Audit: w.log, Seal: w.keys, Now: now},
		stu: &student.Service{DB: d, Audit: w.log, Seal: w.keys, Now: now}}
	s.screen = &screening.Service{DB: d, Audit: w.log, Seal: w.keys, Catalog: w.catalog, Now: now}
	if err := s.screen.LoadImported(ctx); err != nil {
		w.t.Fatal(err)
	}
	// What env.loop does, with the simulation's clock.
	if err := jobs.Migrate(ctx, d); err != nil {
		w.t.Fatalf("jobs.Migrate: %v", err)
	}
	if s.q, err = jobs.New(d, jobs.Options{Now: now, PollInterval: 5 * time.Millisecond}); err != nil {
		w.t.Fatal(err)
	}
	s.notify = &notify.Service{Jobs: s.q, Now: now}
	jobs.Handle(s.q, &notify.DeliverWorker{S: s.notify, DB: d})
	s.warn = &warning.Service{DB: d, Audit: w.log, Seal: w.keys, Jobs: s.q, Notify: s.notify, Hours: warning.DefaultHours(), Now: now,
		Instruments: func() []string {
			var ids []string
			for _, in := range s.screen.Instruments() {
				ids = append(ids, in.ID)
			}
			return ids
		}}
	s.screen.OnScreened = s.warn.OnScreened
	jobs.Handle(s.q, &warning.DeadlineWorker{S: s.warn})
	s.care = &care.Service{DB: d, Audit: w.log, Seal: w.keys, Jobs: s.q, Notify: s.notify, Warning: s.warn, Now: now}
	jobs.Handle(s.q, &care.FollowUpWorker{S: s.care})
	return s
}

// start starts the server's job queue.
func (s *server) start(t *testing.T) {
	if err := s.q.Start(context.Background()); err != nil {
		t.Fatalf("start queue: %v", err)
	}
}

// shutdown stops the queue (running jobs finish) and closes the database,
// as a server process does when it exits.
func (s *server) shutdown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.q.Stop(ctx); err != nil {
		t.Errorf("stop queue: %v", err)
	}
	s.db.Close()
}

// num runs a query returning one integer.
func (s *sim) num(q string, args ...any) int64 {
	s.t.Helper()
	var n int64
	if err := s.srv.db.Read(s.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(&n)
	}); err != nil {
		s.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// each runs a query and calls scan for every row.
func (s *sim) each(q string, args []any, scan func(sc func(...any) error) error) {
	s.t.Helper()
	err := s.srv.db.Read(s.ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows.Scan); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		s.t.Fatalf("%s: %v", q, err)
	}
}

// jsonCol is the SQL that reads a River JSON column as text on the engine.
func (s *sim) jsonCol(col string) string {
	if s.srv.db.Dialect == db.Postgres {
		return col + "::text"
	}
	return "json(" + col + ")" // riversqlite stores SQLite's binary JSON
}

// readOne runs a query returning one row on the current server.
func (s *sim) readOne(q string, dest ...any) error {
	return s.srv.db.Read(s.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, q).Scan(dest...)
	})
}
