package httpx_test

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/prometheus/client_golang/prometheus"
)

func TestLimiterAllowsBurstThenRefuses(t *testing.T) {
	l := httpx.NewLimiter(time.Hour, 3)
	for i := range 3 {
		if !l.Allow("a") {
			t.Fatalf("attempt %d within the burst was refused", i+1)
		}
	}
	if l.Allow("a") {
		t.Fatal("attempt after the burst was allowed")
	}
	if !l.Allow("b") {
		t.Fatal("another key shares the first key's bucket")
	}
}

func TestLimiterRefills(t *testing.T) {
	l := httpx.NewLimiter(50*time.Millisecond, 1)
	if !l.Allow("k") || l.Allow("k") {
		t.Fatal("burst of 1 not enforced")
	}
	time.Sleep(120 * time.Millisecond)
	if !l.Allow("k") {
		t.Fatal("bucket did not refill after the interval")
	}
}

func TestClientIP(t *testing.T) {
	for _, tc := range []struct{ remote, xff, want string }{
		{"192.0.2.7:4242", "", "192.0.2.7"},
		{"[2001:db8::1]:443", "", "2001:db8::1"},
		{"192.0.2.7:4242", "203.0.113.9", "192.0.2.7"}, // forwarding headers are not trusted
		{"not-an-address", "", "not-an-address"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := httpx.ClientIP(r); got != tc.want {
			t.Errorf("ClientIP(%q, xff %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// apperrCodes reads the Code constants declared in package apperr, so that
// a new code cannot be added without a status here.
func apperrCodes(t *testing.T) []apperr.Code {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../apperr/apperr.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []apperr.Code
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Code" {
				for _, v := range vs.Values {
					lit := v.(*ast.BasicLit)
					out = append(out, apperr.Code(strings.Trim(lit.Value, `"`)))
				}
			}
		}
	}
	return out
}

func TestStatusMapsEveryCode(t *testing.T) {
	want := map[apperr.Code]int{
		apperr.EInvalid:      http.StatusUnprocessableEntity,
		apperr.ENotFound:     http.StatusNotFound,
		apperr.EForbidden:    http.StatusForbidden,
		apperr.EUnauthorized: http.StatusUnauthorized,
		apperr.EConflict:     http.StatusConflict,
		apperr.ETooMany:      http.StatusTooManyRequests,
		apperr.EInternal:     http.StatusInternalServerError,
	}
	codes := apperrCodes(t)
	if len(codes) < len(want) {
		t.Fatalf("read only %d codes from apperr.go: %v", len(codes), codes)
	}
	for _, c := range codes {
		status, ok := want[c]
		if !ok {
			t.Errorf("apperr code %q has no expected status in this test", c)
			continue
		}
		if got := httpx.Status(apperr.New(c, "x")); got != status {
			t.Errorf("Status(%s) = %d, want %d", c, got, status)
		}
		wrapped := fmt.Errorf("context: %w", apperr.New(c, "x"))
		if got := httpx.Status(wrapped); got != status {
			t.Errorf("Status(wrapped %s) = %d, want %d", c, got, status)
		}
	}
	if got := httpx.Status(errors.New("driver: connection refused")); got != http.StatusInternalServerError {
		t.Errorf("foreign error: %d, want 500", got)
	}
}

func TestSecureHeaders(t *testing.T) {
	for _, hsts := range []bool{false, true} {
		rec := httptest.NewRecorder()
		httpx.SecureHeaders(hsts, http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP = %q", csp)
		}
		if !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP lacks frame-ancestors 'none': %q", csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("frame/sniff headers: %v", h)
		}
		if got := h.Get("Strict-Transport-Security") != ""; got != hsts {
			t.Errorf("hsts=%v: Strict-Transport-Security present = %v", hsts, got)
		}
	}
}

// observed runs one request through Observe around mux and returns the
// recorder, the log and the gathered metrics as text.
func observed(t *testing.T, mux http.Handler, method, target string) (*httptest.ResponseRecorder, string, []string) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := httpx.NewMetrics(reg)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	rec := httptest.NewRecorder()
	httpx.Observe(log, m, mux).ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			var parts []string
			for _, lp := range mt.GetLabel() {
				parts = append(parts, lp.GetName()+"="+lp.GetValue())
			}
			labels = append(labels, f.GetName()+"{"+strings.Join(parts, ",")+"}")
		}
	}
	return rec, logs.String(), labels
}

func TestMetricsUseTheRoutePattern(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orgs/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	rec, logs, labels := observed(t, mux, "GET", "/orgs/123?secret=s3cr3t-value")
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d", rec.Code)
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
	want := "careloop_http_requests_total{method=GET,route=GET /orgs/{id},status=204}"
	found := false
	for _, l := range labels {
		found = found || l == want
		if strings.Contains(l, "123") {
			t.Errorf("metric label holds the raw id: %s", l)
		}
	}
	if !found {
		t.Errorf("no %s among %v", want, labels)
	}
	for _, leak := range []string{"123", "s3cr3t-value"} {
		if strings.Contains(logs, leak) {
			t.Errorf("access log holds %q: %s", leak, logs)
		}
	}
	if !strings.Contains(logs, `"route":"GET /orgs/{id}"`) {
		t.Errorf("access log lacks the route pattern: %s", logs)
	}
}

func TestMetricsUnmatchedRoute(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orgs/{id}", func(w http.ResponseWriter, r *http.Request) {})
	rec, _, labels := observed(t, mux, "GET", "/private/9876543")
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d", rec.Code)
	}
	found := false
	for _, l := range labels {
		found = found || strings.Contains(l, "route=unmatched") && strings.Contains(l, "status=404")
		if strings.Contains(l, "9876543") {
			t.Errorf("metric label holds the raw path: %s", l)
		}
	}
	if !found {
		t.Errorf("no unmatched/404 series in %v", labels)
	}
}

func TestObserveRecoversPanic(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("kaboom with internal detail") })
	rec, logs, labels := observed(t, mux, "GET", "/boom")
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "kaboom") {
		t.Errorf("panic value reached the client: %q", rec.Body.String())
	}
	if !strings.Contains(logs, "kaboom") || !strings.Contains(logs, `"msg":"panic"`) {
		t.Errorf("panic not logged: %s", logs)
	}
	found := false
	for _, l := range labels {
		found = found || l == "careloop_http_requests_total{method=GET,route=GET /boom,status=500}"
	}
	if !found {
		t.Errorf("panic not counted as a 500: %v", labels)
	}
}

// TestMetricsSeeNestedRoutePatterns: a middleware that copies the request
// (r.WithContext) hides the inner mux's pattern from Observe unless the
// inner handler reports it with NoteRoute.
func TestMetricsSeeNestedRoutePatterns(t *testing.T) {
	for _, note := range []bool{true, false} {
		inner := http.NewServeMux()
		inner.HandleFunc("GET /orgs/{id}", func(w http.ResponseWriter, r *http.Request) {
			if note {
				httpx.NoteRoute(r)
			}
		})
		outer := http.NewServeMux()
		outer.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.ServeHTTP(w, r.WithContext(r.Context()))
		}))
		_, logs, labels := observed(t, outer, "GET", "/orgs/4242")
		want := map[bool]string{true: "route=GET /orgs/{id}", false: "route=/,"}[note]
		if !strings.Contains(strings.Join(labels, " "), want) || strings.Contains(strings.Join(labels, " ")+logs, "4242") {
			t.Errorf("NoteRoute=%v: labels %v, want %q and no raw id", note, labels, want)
		}
	}
}

// Rate limits count an IPv6 client by its /64, an IPv4 one by its address.
func TestClientNet(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:5000":                  "192.0.2.7",
		"[2001:db8:1:2:aaaa::1]:443":      "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff:ffff::9]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]:443":           "2001:db8:1:3::/64",
		"[::ffff:192.0.2.8]:80":           "::ffff:192.0.2.8",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := httpx.ClientNet(r); got != want && !(remote == "[::ffff:192.0.2.8]:80" && got == "192.0.2.8") {
			t.Errorf("%s: %s, want %s", remote, got, want)
		}
	}
}
