package main

import (
	"context"
	"database/sql"
	"sort"
	"sync"
	"time"
)

// waitShare is how often PostgreSQL backends of the bench database were
// seen in one state during the measured careloop phase.
type waitShare struct {
	State string  `json:"state"` // "Lock/transactionid", "IO/WALSync", "Client/ClientRead", "CPU" (active, no wait), ...
	Share float64 `json:"share"` // of all backend samples, 0–1
}

// pgSampler polls pg_stat_activity every 50 ms on its own connection: it
// shows what careloop's transactions wait for (row locks on the audit head,
// WAL flushes, the client) without touching the server.
type pgSampler struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	counts map[string]int
	total  int
}

func startPGSampler(url string) *pgSampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &pgSampler{cancel: cancel, done: make(chan struct{}), counts: map[string]int{}}
	conn, err := sql.Open("pgx", url)
	if err != nil {
		close(s.done)
		return s
	}
	conn.SetMaxOpenConns(1)
	go func() {
		defer close(s.done)
		defer conn.Close()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			s.sample(ctx, conn)
		}
	}()
	return s
}

func (s *pgSampler) sample(ctx context.Context, conn *sql.DB) {
	rows, err := conn.QueryContext(ctx, `SELECT state, COALESCE(wait_event_type, ''), COALESCE(wait_event, '')
		FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`)
	if err != nil {
		return
	}
	defer rows.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for rows.Next() {
		var state, typ, event string
		if rows.Scan(&state, &typ, &event) != nil {
			return
		}
		key := typ + "/" + event
		switch {
		case state == "idle":
			key = "idle (pool)"
		case typ == "":
			key = "CPU (" + state + ")"
		case typ == "Client" && state == "idle in transaction":
			key = "Client/" + event + " (in transaction)"
		}
		s.counts[key]++
		s.total++
	}
}

// stop ends sampling and returns the states seen, most frequent first.
func (s *pgSampler) stop() []waitShare {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []waitShare
	for k, n := range s.counts {
		out = append(out, waitShare{State: k, Share: round(float64(n)/float64(s.total), 3)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Share > out[j].Share })
	return out
}
