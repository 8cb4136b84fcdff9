package wechat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/chat"
	"github.com/careloop/careloop/internal/testutil"
)

// recorder is a Router that keeps what it receives; with fail set it
// fails instead.
type recorder struct {
	mu   sync.Mutex
	got  []chat.Inbound
	fail error
}

func (r *recorder) Receive(ctx context.Context, in chat.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, in)
	return nil
}

func (r *recorder) received() []chat.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Inbound(nil), r.got...)
}

// safeBuffer is a log sink for concurrent handlers.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testService is an adapter for the fixtures' account on a fresh
// database, with a clock 20 seconds after the fixtures' timestamp and a
// debug log that the test checks, when it ends, for personal data.
type testService struct {
	*Service
	clock  *testutil.Clock
	router *recorder
	logs   *safeBuffer
}

func newService(t *testing.T, encrypted bool) *testService {
	t.Helper()
	return newServiceOn(t, testutil.DB(t), encrypted)
}

func newServiceOn(t *testing.T, d *db.DB, encrypted bool) *testService {
	t.Helper()
	ts := &testService{clock: testutil.NewClock(fxTime), router: &recorder{}, logs: &safeBuffer{}}
	cfg := Config{Token: fxToken, AppID: fxAppID, AppSecret: "fixture-secret-0123456789", StationID: 7}
	if encrypted {
		cfg.EncodingAESKey = fxAESKey
	}
	ts.Service = &Service{Config: cfg, DB: d, Router: ts.router, Now: ts.clock.Now,
		Log: slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	t.Cleanup(func() {
		out := ts.logs.String()
		for _, secret := range []string{fxOpenID, fxText, "我不想活了", "openssl", fxToken, "fixture-secret", "signature="} {
			if strings.Contains(out, secret) {
				t.Errorf("the log holds %q:\n%s", secret, out)
			}
		}
	})
	return ts
}

// serve sends req to the adapter's handler; the request can be sent once.
func (ts *testService) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

// rows counts the replay tables' rows.
func (ts *testService) rows(t *testing.T) (pushes, messages int) {
	t.Helper()
	err := ts.DB.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM wechat_pushes`).Scan(&pushes); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM wechat_messages`).Scan(&messages)
	})
	if err != nil {
		t.Fatal(err)
	}
	return pushes, messages
}

// body returns the request's body and puts it back, so that the request
// can be served again.
func body(t *testing.T, r *http.Request) []byte {
	t.Helper()
	if r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// again returns a fresh copy of r, to send the same request twice.
func again(t *testing.T, r *http.Request) *http.Request {
	t.Helper()
	b := body(t, r)
	c := r.Clone(context.Background())
	c.Body = io.NopCloser(bytes.NewReader(b))
	return c
}

var errRouterDown = errors.New("chat queue down")
