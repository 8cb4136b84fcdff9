package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/web"
)

// bareServer is baseline (a): plain net/http on loopback with the same
// routes and the same server timeouts as careloop, whose handlers only read
// the form and set the cookie (POST /s), or read the cookie and decode the
// same JSON body into the same type (POST /s/answers). No database, no
// middleware: the ceiling of HTTP and JSON on this machine.
type bareServer struct {
	URL  string
	srv  *http.Server
	done chan error
}

func startBare() (*bareServer, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /s", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("code") == "" {
			http.Error(w, "no code", http.StatusUnauthorized)
			return
		}
		var b [32]byte
		_, _ = rand.Read(b[:])
		http.SetCookie(w, &http.Cookie{Name: web.RespondentCookie, Value: "r_" + base64.RawURLEncoding.EncodeToString(b[:]),
			Path: "/s", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/s/q", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /s/answers", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(web.RespondentCookie); err != nil || c.Value == "" {
			http.Error(w, "no sitting", http.StatusUnauthorized)
			return
		}
		var in struct {
			IdempotencyKey string            `json:"idempotency_key"`
			Answers        screening.Answers `json:"answers"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil || in.IdempotencyKey == "" {
			http.Error(w, "invalid", http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		// every retry of the bare server is a "duplicate", as careloop answers one
		_, _ = io.WriteString(w, `{"duplicate":`+duplicate(r)+`,"status":"recorded"}`+"\n")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &bareServer{URL: "http://" + ln.Addr().String(), done: make(chan error, 1),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
			WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 1 << 16}}
	go func() { b.done <- b.srv.Serve(ln) }()
	return b, nil
}

// duplicate lets the shared client code check double clicks against the
// bare server too: the client marks its second send with a header.
func duplicate(r *http.Request) string {
	if r.Header.Get(retryHeader) != "" {
		return "true"
	}
	return "false"
}

// retryHeader marks the second send of a double click (careloop ignores it).
const retryHeader = "X-Bench-Retry"

func (b *bareServer) Stop() error {
	_ = b.srv.Close()
	if err := <-b.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
