package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	pmosync "github.com/pmohub/pmohub/sync"
)

func (a *app) sync(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	only := fs.String("source", "", "sync only this source")
	full := fs.Bool("full", false, "ignore cursors and re-read everything")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	sources, err := a.buildSources(cfg, *only)
	if err != nil {
		return err
	}
	wh, err := a.openWarehouse(ctx, cfg)
	if err != nil {
		return err
	}
	defer wh.Close()
	if err := a.useAppliedMappings(ctx, wh, sources); err != nil {
		return err
	}
	eng := &pmosync.Engine{WH: wh, Logger: a.logger}
	bars := newProgress(a.stderr)
	eng.Progress = bars.update
	results := eng.SyncAll(ctx, sources, pmosync.Options{Full: *full})
	bars.finish()
	return a.summarise(results)
}

// summarise prints one line per source and fails when any source failed.
func (a *app) summarise(results []pmosync.Result) error {
	failed := 0
	fmt.Fprintf(a.stdout, "%-20s %-10s %9s %9s %9s %8s %9s %8s\n", "SOURCE", "STATUS", "READ", "WRITTEN", "DELETED", "REQUESTS", "THROTTLED", "TIME")
	for _, r := range results {
		run := r.Run
		took := ""
		if run.FinishedAt != nil {
			took = run.FinishedAt.Sub(run.StartedAt).Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(a.stdout, "%-20s %-10s %9d %9d %9d %8d %9d %8s\n", run.Source, run.Status, run.RecordsRead, run.RecordsWritten, run.RecordsDeleted, run.Requests, run.Throttled, took)
		if run.SourceProblems > 0 || run.MappingProblems > 0 {
			fmt.Fprintf(a.stdout, "  problems: %d in the source data, %d in mapping (values kept; the log says where)\n", run.SourceProblems, run.MappingProblems)
		}
		if r.Err != nil {
			failed++
			fmt.Fprintf(a.stdout, "  error: %s\n", run.Error)
			if run.Error == "" {
				fmt.Fprintf(a.stdout, "  error: %v\n", r.Err)
			}
		}
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d sources failed", failed, len(results))}
	}
	return nil
}
