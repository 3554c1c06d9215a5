// Package web serves pmohub's portfolio dashboard and its JSON API (/api/v1), /healthz and
// Prometheus metrics (/metrics), for `pmohub serve`. The dashboard's assets are embedded:
// no CDN, it works offline.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pmohub/pmohub/sync/scheduler"
	"github.com/pmohub/pmohub/warehouse/metrics"
)

// Options configure the server.
type Options struct {
	// Metrics computes everything the API and the dashboard show (required).
	Metrics *metrics.Reader
	// Listen is the address (default 127.0.0.1:8080).
	Listen string
	// Token, when set, must come with every request: `Authorization: Bearer <token>`, or the
	// cookie the dashboard's sign-in sets. Required when Listen is not a loopback address.
	Token string
	// Registry is served at /metrics; the server adds the data-freshness gauges to it.
	// nil: a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Scheduler, when set, adds each source's schedule state to /api/v1/sources.
	Scheduler interface{ Status() []scheduler.JobStatus }
	// Mount adds handlers behind the same token, by ServeMux pattern (the mapping admin
	// serves /api/v1/mappings/ and /admin/mappings).
	Mount  map[string]http.Handler
	Logger *slog.Logger
}

// ErrTokenRequired is returned by New for a non-loopback address without a token.
var ErrTokenRequired = errors.New("serve: listening on a non-loopback address needs serve.token (every request must carry it)")

// Server is the HTTP server.
type Server struct {
	opt Options
	h   http.Handler
}

// New checks the options and builds the routes.
func New(opt Options) (*Server, error) {
	if opt.Metrics == nil {
		return nil, errors.New("serve: no metrics reader")
	}
	if opt.Listen == "" {
		opt.Listen = "127.0.0.1:8080"
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Token == "" && !IsLoopback(opt.Listen) {
		return nil, fmt.Errorf("%w: %s", ErrTokenRequired, opt.Listen)
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
		opt.Registry.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	}
	if err := opt.Registry.Register(&freshnessCollector{r: opt.Metrics, log: opt.Logger}); err != nil {
		return nil, fmt.Errorf("serve: registering freshness metrics: %w", err)
	}
	s := &Server{opt: opt}
	mux := http.NewServeMux()
	a := &api{r: opt.Metrics, sched: opt.Scheduler, log: opt.Logger}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(opt.Registry, promhttp.HandlerOpts{ErrorLog: slogPrinter{opt.Logger}}))
	a.routes(mux)
	pages(mux)
	for pattern, h := range opt.Mount {
		mux.Handle(pattern, h)
	}
	s.h = s.auth(securityHeaders(mux))
	return s, nil
}

// Handler is the server's handler (tests mount it on httptest).
func (s *Server) Handler() http.Handler { return s.h }

// Addr is the configured listen address.
func (s *Server) Addr() string { return s.opt.Listen }

// ListenAndServe serves until ctx ends, then shuts down gracefully: in-flight requests get
// up to ten seconds to finish.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opt.Listen)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve is ListenAndServe on a listener of the caller's.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.opt.Logger.Info("serving the dashboard", "addr", "http://"+ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutting down: %w", err)
	}
	return nil
}

// IsLoopback reports whether a listen address only accepts local connections.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Error("metrics endpoint", "err", fmt.Sprint(v...)) }
