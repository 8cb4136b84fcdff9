package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/careloop/careloop/internal/api"
	"github.com/careloop/careloop/internal/config"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/chat"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Listening is printed when the server accepts connections; tests wait for it.
const Listening = "careloop is listening on http://"

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := config.Parse("serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	e, err := open(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := install(ctx, e, stdout); err != nil {
		return err
	}
	if err := e.jobs.Start(ctx); err != nil {
		return err
	}
	// The rollups of the dashboards are refreshed now and every
	// --stats-every after (one instance runs each slot).
	if err := e.stats.Schedule(ctx, time.Now()); err != nil {
		return err
	}
	if err := e.exports.ScheduleCleanup(ctx, time.Now()); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.jobs.Stop(sctx)
	}()
	if e.db.Dialect == db.Postgres {
		// Several instances share one PostgreSQL: chats wake each other
		// through LISTEN/NOTIFY.
		b, err := chat.NewPG(ctx, cfg.DatabaseURL, e.log)
		if err != nil {
			return err
		}
		defer b.Close()
		e.chat.Broker = b
	}
	handler, err := e.handler()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 1 << 16}
	fmt.Fprintf(stdout, "%s%s (sign in at /login)\n", Listening, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	e.log.Info("shutting down: draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handler assembles the whole HTTP surface: health, metrics, the JSON API
// and the web pages, wrapped in request ids, logs, metrics and headers.
func (e *env) handler() (http.Handler, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := httpx.NewMetrics(reg)

	w := &web.Server{Org: e.org, People: e.people, Student: e.student, Screening: e.screen, Warning: e.warn, Care: e.care, Hotline: e.hotline,
		Chat: e.chat, WeChat: e.wechat, Phone: e.phone, Letters: e.letters, Station: e.station,
		Crisis: e.crisis, Referral: e.refer, Sharing: e.sharing,
		Workforce: e.workforce, Training: e.training, Outreach: e.outreach, Family: e.family, Research: e.research, Stats: e.stats, Indicators: e.reg, Exports: e.exports, Audit: e.audit, DB: e.db, Log: e.log,
		SecureCookies: e.cfg.SecureCookies, Demo: e.cfg.Demo}
	pages, err := w.Handler()
	if err != nil {
		return nil, err
	}
	a := &api.Server{Org: e.org, People: e.people, Screening: e.screen, Log: e.log}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := e.db.Ping(ctx); err != nil {
			e.log.Error("readiness: database unreachable", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "database unavailable\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/api/", a.Handler())
	mux.Handle("/", pages)
	return httpx.Observe(e.log, metrics, httpx.SecureHeaders(e.cfg.SecureCookies, mux)), nil
}
