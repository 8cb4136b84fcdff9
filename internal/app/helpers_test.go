package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/app"
	"github.com/careloop/careloop/internal/testutil"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", to inspect and tamper with PostgreSQL
	_ "modernc.org/sqlite"             // "sqlite", to inspect and tamper with SQLite
)

// lockedBuffer is written by a running server and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// install is one careloop installation: a data folder and, on PostgreSQL,
// a database of its own.
type install struct {
	env map[string]string
}

// newInstall uses an existing, empty data folder (see
// TestFirstStartCreatesDataFolder for one that does not exist yet).
func newInstall(t *testing.T) *install {
	t.Helper()
	return &install{env: map[string]string{
		"CARELOOP_DATA":         t.TempDir(),
		"CARELOOP_DATABASE_URL": testutil.DatabaseURL(t),
		"CARELOOP_ADDR":         "127.0.0.1:0",
		"CARELOOP_LOG_LEVEL":    "warn",
	}}
}

func (in *install) postgres() bool { return in.env["CARELOOP_DATABASE_URL"] != "" }

func (in *install) getenv(k string) string { return in.env[k] }

// run runs one command to completion and returns its output and error.
func (in *install) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = app.Run(ctx, append([]string{"careloop"}, args...), in.getenv, &o, &e)
	return o.String(), e.String(), err
}

// server is a running `careloop serve`.
type server struct {
	out    *lockedBuffer
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// serve starts `careloop serve args...` and waits until it listens.
func (in *install) serve(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{out: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- app.Run(ctx, append([]string{"careloop", "serve"}, args...), in.getenv, s.out, &lockedBuffer{})
	}()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.After(60 * time.Second)
	for {
		if i := strings.Index(s.out.String(), app.Listening); i >= 0 {
			s.addr = strings.Fields(s.out.String()[i+len(app.Listening):])[0]
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("serve exited before listening: %v\n%s", err, s.out.String())
		case <-deadline:
			t.Fatalf("serve did not listen within 60s:\n%s", s.out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop cancels the server's context and returns what Run returned.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return within 30s of cancellation")
		return nil
	}
}

// openDB opens the installation's database directly.
func (in *install) openDB(t *testing.T) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", filepath.Join(in.env["CARELOOP_DATA"], "careloop.db")
	if in.postgres() {
		driver, dsn = "pgx", in.env["CARELOOP_DATABASE_URL"]
	}
	d, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
