package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/app"
)

func TestCommandErrors(t *testing.T) {
	in := newInstall(t)
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		errPart string // "" means success
		stdout  string // expected in stdout
		stderr  string // expected in stderr
	}{
		{name: "no command", args: nil, errPart: "no command", stderr: "Usage:"},
		{name: "unknown command", args: []string{"frobnicate"}, errPart: `unknown command "frobnicate"`, stderr: "Usage:"},
		{name: "user without add", args: []string{"user"}, errPart: "usage: careloop user add"},
		{name: "user delete", args: []string{"user", "delete"}, errPart: "usage: careloop user add"},
		{name: "audit without verify", args: []string{"audit"}, errPart: "usage: careloop audit verify"},
		{name: "help", args: []string{"help"}, stdout: "careloop serve"},
		{name: "--help", args: []string{"--help"}, stdout: "CARELOOP_ADDR"},
		{name: "unknown flag", args: []string{"migrate", "--no-such-flag"}, errPart: "no-such-flag"},
		{name: "bad audit hash in env", args: []string{"migrate"}, env: map[string]string{"CARELOOP_AUDIT_HASH": "md5"}, errPart: "--audit-hash"},
		{name: "bad seal algorithm in env", args: []string{"serve"}, env: map[string]string{"CARELOOP_SEAL_ALGO": "des"}, errPart: "--seal-algo"},
		{name: "bad database URL in env", args: []string{"migrate"}, env: map[string]string{"CARELOOP_DATABASE_URL": "mysql://x"}, errPart: "--database-url"},
		{name: "idle longer than session", args: []string{"migrate"}, env: map[string]string{"CARELOOP_IDLE_TIMEOUT": "13h"}, errPart: "--idle-timeout"},
		{name: "flag beats env", args: []string{"migrate", "--audit-hash", "sm3"}, env: map[string]string{"CARELOOP_AUDIT_HASH": "md5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range in.env {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			var out, errOut lockedBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := app.Run(ctx, append([]string{"careloop"}, tc.args...), func(k string) string { return env[k] }, &out, &errOut)
			switch {
			case tc.errPart == "" && err != nil:
				t.Errorf("err %v, want success", err)
			case tc.errPart != "" && (err == nil || !strings.Contains(err.Error(), tc.errPart)):
				t.Errorf("err %v, want one containing %q", err, tc.errPart)
			}
			if !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", out.String(), tc.stdout, errOut.String(), tc.stderr)
			}
		})
	}
}

// TestFlagsReadEnvironment starts serve configured only through CARELOOP_*
// variables and checks each took effect.
func TestFlagsReadEnvironment(t *testing.T) {
	in := newInstall(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	keyFile := filepath.Join(t.TempDir(), "custom.keys")
	in.env["CARELOOP_ADDR"] = addr
	in.env["CARELOOP_DEMO"] = "true"
	in.env["CARELOOP_SECURE_COOKIES"] = "1"
	in.env["CARELOOP_SEAL_KEY_FILE"] = keyFile

	s := in.serve(t)
	if s.addr != addr {
		t.Errorf("listening on %s, want CARELOOP_ADDR %s", s.addr, addr)
	}
	if !strings.Contains(s.out.String(), "Careloop-Demo-2026") || !strings.Contains(s.out.String(), "xuanwu.coord") {
		t.Errorf("CARELOOP_DEMO=true did not load the demo:\n%s", s.out.String())
	}
	resp, err := http.Get("http://" + s.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok\n" || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("healthz %q; CARELOOP_SECURE_COOKIES=1 should send HSTS: %v", body, resp.Header)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("CARELOOP_SEAL_KEY_FILE: %v", err)
	}
	if _, err := os.Stat(filepath.Join(in.env["CARELOOP_DATA"], "seal.keys")); err == nil {
		t.Error("a key file was written to the data folder although CARELOOP_SEAL_KEY_FILE names another")
	}
	if !in.postgres() {
		if _, err := os.Stat(filepath.Join(in.env["CARELOOP_DATA"], "careloop.db")); err != nil {
			t.Errorf("CARELOOP_DATA: no database there: %v", err)
		}
	}
	if err := s.stop(t); err != nil {
		t.Errorf("shutdown: %v", err)
	}

	// A flag given on the command line wins over the environment.
	in.env["CARELOOP_ADDR"] = "127.0.0.1:1"
	s = in.serve(t, "--addr", "127.0.0.1:0")
	if s.addr == "127.0.0.1:1" {
		t.Error("--addr did not override CARELOOP_ADDR")
	}
	if strings.Contains(s.out.String(), "demo network loaded") {
		t.Error("the demo was loaded twice")
	}
}

// TestFirstStartCreatesDataFolder runs the documented first start,
// `careloop serve --data DIR` with DIR not yet created, on both engines.
func TestFirstStartCreatesDataFolder(t *testing.T) {
	in := newInstall(t)
	in.env["CARELOOP_DATA"] = filepath.Join(t.TempDir(), "not", "yet")
	s := in.serve(t)
	if !strings.Contains(s.out.String(), "One-time password") {
		t.Errorf("no administrator password printed:\n%s", s.out.String())
	}
	if fi, err := os.Stat(filepath.Join(in.env["CARELOOP_DATA"], "seal.keys")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file in the new data folder: %v", err)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestShutdownDrainsRequests cancels the context while a client holds an
// open keep-alive connection: Run still returns nil promptly.
func TestShutdownDrainsRequests(t *testing.T) {
	in := newInstall(t)
	s := in.serve(t)
	c := &http.Client{Transport: &http.Transport{}}
	resp, err := c.Get("http://" + s.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ready\n" {
		t.Fatalf("readyz: %q", body)
	}
	start := time.Now()
	if err := s.stop(t); err != nil {
		t.Fatalf("Run returned %v after cancellation, want nil", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v with an idle keep-alive connection", d)
	}
	if _, err := c.Get("http://" + s.addr + "/healthz"); err == nil {
		t.Error("server still answers after Run returned")
	}
}
