// Package httpx holds what careloop's HTTP surfaces (the web pages and the
// JSON API) share: request IDs, access logs without personal data,
// Prometheus metrics, security headers, panic recovery, the mapping of
// apperr codes to status codes, and the rate limiter for sign-in.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/prometheus/client_golang/prometheus"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	routeKey
)

// NoteRoute records the route pattern that matched r, for the access log
// and metrics of Observe. Nested muxes serve copies of the request, so
// the pattern is passed back through a holder in the context.
func NoteRoute(r *http.Request) {
	if h, ok := r.Context().Value(routeKey).(*string); ok && r.Pattern != "" {
		*h = r.Pattern
	}
}

// RequestID returns the id of the request in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Status maps an apperr code to an HTTP status, once for both surfaces.
func Status(err error) int {
	switch apperr.CodeOf(err) {
	case apperr.EInvalid:
		return http.StatusUnprocessableEntity
	case apperr.ENotFound:
		return http.StatusNotFound
	case apperr.EForbidden:
		return http.StatusForbidden
	case apperr.EUnauthorized:
		return http.StatusUnauthorized
	case apperr.EConflict:
		return http.StatusConflict
	case apperr.ETooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Metrics are the Prometheus collectors of the HTTP surfaces. Labels are the
// route pattern (never the raw URL, which may hold ids), method and status.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "careloop_http_requests_total",
			Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "careloop_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// Observe wraps next with request ids, recovery, an access log and metrics.
// The log holds the method, route pattern, status and duration: no query
// strings, no form values, no user names.
func Observe(log *slog.Logger, m *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		route := new(string)
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), routeKey, route)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic", "request_id", id, "route", *route, "panic", v)
				if sw.status == 0 {
					http.Error(sw, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}
			if *route == "" {
				*route = r.Pattern // a route of the outermost mux
			}
			if *route == "" {
				*route = "unmatched"
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			d := time.Since(start)
			m.requests.WithLabelValues(*route, r.Method, strconv.Itoa(status)).Inc()
			m.latency.WithLabelValues(*route, r.Method).Observe(d.Seconds())
			log.Info("request", "request_id", id, "method", r.Method, "route", *route, "status", status,
				"duration_ms", d.Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// SecureHeaders sets the headers every response carries: a CSP without
// inline script, frame denial, no sniffing, no referrer, and HSTS when the
// service is served over TLS.
func SecureHeaders(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}
