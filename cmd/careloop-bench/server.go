package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/careloop/careloop/internal/app"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for creating and dropping the bench database
)

// syncBuffer collects what the server prints, read while it runs.
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

// server is the real careloop program running in this process.
type server struct {
	URL    string
	cancel context.CancelFunc
	done   chan error
	errs   *syncBuffer
}

// startServer runs `careloop serve` (app.Run, as main does) on a free
// loopback port and waits until it prints its address, as apptest does.
func startServer(dataDir, databaseURL string) (*server, error) {
	env := map[string]string{
		"CARELOOP_DATA":         dataDir,
		"CARELOOP_ADDR":         "127.0.0.1:0",
		"CARELOOP_DATABASE_URL": databaseURL,
		"CARELOOP_LOG_LEVEL":    "warn",
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	s := &server{cancel: cancel, done: make(chan error, 1), errs: &syncBuffer{}}
	go func() {
		s.done <- app.Run(ctx, []string{"careloop", "serve"}, func(k string) string { return env[k] }, out, s.errs)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if i := strings.Index(out.String(), app.Listening); i >= 0 {
			s.URL = "http://" + strings.Fields(out.String()[i+len(app.Listening):])[0]
			return s, nil
		}
		select {
		case err := <-s.done:
			cancel()
			return nil, fmt.Errorf("server exited before listening: %v\n%s", err, s.errs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	return nil, errors.New("server did not start within 2 minutes")
}

// Stop shuts the server down (it drains requests) and returns its log on failure.
func (s *server) Stop() error {
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("server: %v\n%s", err, s.errs.String())
		}
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("server did not shut down within 30s")
	}
}

// freshDatabase creates an empty database on the PostgreSQL server of base
// and returns its URL and a function that drops it.
func freshDatabase(ctx context.Context, base string) (string, func(), error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, errors.New("invalid --database-url")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "careloop_bench_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() {
		_, _ = admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		admin.Close()
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
