package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/sync/config"
	"github.com/pmohub/pmohub/sync/scheduler"
	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/metrics"
	"github.com/pmohub/pmohub/web"
)

func (a *app) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	listen := fs.String("listen", "", "address to listen on (default serve.listen, 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Serve.Listen = *listen
	}
	sources, err := a.buildSources(cfg, "")
	if err != nil {
		return err
	}
	wh, err := a.openWarehouse(ctx, cfg)
	if err != nil {
		return err
	}
	defer wh.Close()
	return a.runServer(ctx, cfg, wh, sources, nil)
}

// runServer runs the scheduler and the dashboard until ctx ends. ready, when set, is told
// the listening address.
func (a *app) runServer(ctx context.Context, cfg *config.Config, wh *warehouse.Warehouse, sources []*pmosync.Source, ready func(addr string)) error {
	if err := metrics.Install(ctx, wh); err != nil {
		return err
	}
	if err := a.useAppliedMappings(ctx, wh, sources); err != nil {
		return err
	}
	reader := metrics.NewReader(wh, metricsOptions(cfg))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	engine := &pmosync.Engine{WH: wh, Logger: a.logger}
	every := map[string]time.Duration{}
	for _, s := range cfg.Sources {
		every[s.Name] = s.Schedule
	}
	jobs := make([]scheduler.Job, 0, len(sources))
	for _, src := range sources {
		jobs = append(jobs, scheduler.Job{Source: src, Every: every[src.Name()]})
	}
	sched, err := scheduler.New(engine, jobs, scheduler.Options{Registerer: reg, Logger: a.logger})
	if err != nil {
		return err
	}
	adm := a.mappingAdmin(cfg, engine, sources).Handler(nil)
	srv, err := web.New(web.Options{Metrics: reader, Listen: cfg.Serve.Listen, Token: cfg.Serve.Token,
		Registry: reg, Scheduler: sched, Logger: a.logger,
		Mount: map[string]http.Handler{"/api/v1/mappings/": adm, "/admin/mappings": adm, "/admin/mappings/": adm}})
	if errors.Is(err, web.ErrTokenRequired) {
		return fmt.Errorf("%s: serve.listen %s is not a loopback address: set serve.token (e.g. \"${PMOHUB_TOKEN}\") so every request must carry it", cfg.File, cfg.Serve.Listen)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Serve.Listen)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	} else {
		fmt.Fprintf(a.stdout, "pmohub is serving the dashboard at http://%s/\n", ln.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	serr := srv.Serve(ctx, ln)
	// The scheduler finishes or safely abandons its running syncs before the warehouse closes.
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) && serr == nil {
		serr = err
	}
	if errors.Is(serr, context.Canceled) {
		return nil
	}
	return serr
}
