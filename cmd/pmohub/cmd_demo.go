package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pmohub/pmohub/connectors/simulator"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse/metrics"
)

// demo runs the simulated organisation end to end: simulators of the four tools, a
// generated pmohub.yaml, a first sync into the embedded warehouse, then (unless --once)
// the scheduler and the dashboard while the organisation keeps changing.
func (a *app) demo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	once := fs.Bool("once", false, "sync once, print the portfolio and exit")
	seed := fs.Uint64("seed", 7, "seed of the generated organisation")
	dir := fs.String("dir", "demo", "folder for the demo's pmohub.yaml and warehouse (its data is replaced)")
	listen := fs.String("listen", "127.0.0.1:8080", "dashboard address")
	every := fs.Duration("every", 4*time.Second, "how often the organisation changes")
	schedule := fs.String("schedule", "20s", "how often each source is synced while the demo runs")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	started := time.Now()
	sim := simulator.New(*seed, nil)
	sim.Start()
	defer sim.Close()

	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	// a fresh warehouse: the organisation is generated anew on every run
	if err := os.RemoveAll(filepath.Join(*dir, "data")); err != nil {
		return err
	}
	cfgPath := filepath.Join(*dir, "pmohub.yaml")
	if err := os.WriteFile(cfgPath, []byte(sim.Config(*schedule, *listen)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Simulating ACME (seed %d): %d projects in Jira, GitHub, Google Sheets and Smartsheet.\nConfig written to %s.\n\n", *seed, len(sim.Projects), cfgPath)
	a.configPath = cfgPath
	cfg, err := a.loadConfig()
	if err != nil {
		return err
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
	eng := &pmosync.Engine{WH: wh, Logger: a.logger}
	bars := newProgress(a.stderr)
	eng.Progress = bars.update
	results := eng.SyncAll(ctx, sources, pmosync.Options{})
	bars.finish()
	if err := a.summarise(results); err != nil {
		return err
	}
	if err := metrics.Install(ctx, wh); err != nil {
		return err
	}
	if *once {
		p, err := metrics.NewReader(wh, metricsOptions(cfg)).Portfolio(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout)
		printPortfolio(a.stdout, p)
		return nil
	}
	go sim.Live(ctx, *every, func(msg string) { a.logger.Info("simulation: " + msg) })
	return a.runServer(ctx, cfg, wh, sources, func(addr string) {
		fmt.Fprintf(a.stdout, "\nThe dashboard is ready at http://%s/ (%.1fs). The organisation keeps changing;\nsources sync every %s. Press Ctrl-C to stop.\n", addr, time.Since(started).Seconds(), *schedule)
	})
}

// printPortfolio writes the portfolio table: project, health and reasons, % complete,
// forecast against target, overdue and stale work.
func printPortfolio(w io.Writer, p metrics.Portfolio) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECT\tHEALTH\tREPORTED\tDONE\tFORECAST P50 / P85\tTARGET\tOVERDUE\tSTALE\tWHY")
	for _, pr := range p.Projects {
		pct := "–"
		if pr.PercentByCount != nil {
			pct = fmt.Sprintf("%.0f%%", *pr.PercentByCount)
		}
		forecast := pr.Forecast.P50 + " / " + pr.Forecast.P85
		if pr.Forecast.P50 == "" {
			forecast = "no pace yet"
		}
		target := "–"
		if pr.TargetDate != nil {
			target = *pr.TargetDate
		}
		reported := pr.Health.Reported
		if reported == "" {
			reported = "–"
		}
		why := strings.Join(pr.Health.Reasons, "; ")
		if why == "" {
			why = "on pace"
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", pr.ID, pr.Name, strings.ToUpper(pr.Health.RAG), reported, pct, forecast, target, pr.Overdue, pr.Stale, why)
	}
	tw.Flush()
}
