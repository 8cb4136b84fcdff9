// Package apptest starts a whole careloop server for end-to-end tests: the
// real program (app.Run) on a free port, on the engine the test run asks
// for (SQLite, or PostgreSQL with CARELOOP_TEST_DATABASE_URL).
package apptest

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/app"
	"github.com/careloop/careloop/internal/testutil"
)

// Instance is a running server.
type Instance struct {
	URL         string // http://127.0.0.1:PORT
	DataDir     string
	DatabaseURL string // "" on SQLite (the file is in DataDir)
	out         *syncBuffer
}

// Stdout returns what the server printed so far (demo accounts, one-time
// passwords).
func (i *Instance) Stdout() string { return i.out.String() }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start runs `careloop serve` with args (for example "--demo") on a fresh
// database and a free port, and stops it when the test ends.
func Start(tb testing.TB, args ...string) *Instance {
	tb.Helper()
	return start(tb, testutil.DatabaseURL(tb), args)
}

// Another runs a second server on the database of i (PostgreSQL: a second
// instance of one deployment), with args (give it the same
// --seal-key-file as i).
func Another(tb testing.TB, i *Instance, args ...string) *Instance {
	tb.Helper()
	if i.DatabaseURL == "" {
		tb.Fatal("apptest.Another needs PostgreSQL")
	}
	return start(tb, i.DatabaseURL, args)
}

func start(tb testing.TB, dbURL string, args []string) *Instance {
	dataDir := filepath.Join(tb.TempDir(), "data")
	env := map[string]string{
		"CARELOOP_DATA":         dataDir,
		"CARELOOP_ADDR":         "127.0.0.1:0",
		"CARELOOP_DATABASE_URL": dbURL,
		"CARELOOP_LOG_LEVEL":    "warn",
	}
	ctx, cancel := context.WithCancel(context.Background())
	out, errs := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, append([]string{"careloop", "serve"}, args...), func(k string) string { return env[k] }, out, errs)
	}()
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("server log:\n%s", errs.String())
		}
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			tb.Error("server did not shut down within 30s")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		s := out.String()
		if i := strings.Index(s, app.Listening); i >= 0 {
			rest := s[i+len(app.Listening):]
			addr := strings.Fields(rest)[0]
			return &Instance{URL: "http://" + addr, DataDir: dataDir, DatabaseURL: dbURL, out: out}
		}
		select {
		case err := <-done:
			done <- err // let the cleanup see that the server has stopped
			tb.Fatalf("server exited before listening: %v\n%s", err, s)
		case <-time.After(20 * time.Millisecond):
		}
	}
	tb.Fatalf("server did not start within 60s:\n%s", out.String())
	return nil
}
