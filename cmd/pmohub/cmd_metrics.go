package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/pmohub/pmohub/sync/config"
	"github.com/pmohub/pmohub/warehouse/metrics"
	"github.com/pmohub/pmohub/web"
)

func (a *app) metrics(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("metrics", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	project := fs.String("project", "", "portfolio project id")
	scope := fs.String("scope", "", "source scope, e.g. jira_project:ALPHA")
	from := fs.String("from", "", "start (YYYY-MM-DD)")
	to := fs.String("to", "", "end (YYYY-MM-DD)")
	interval := fs.String("interval", "", "day, week or month")
	format := fs.String("format", "json", "json")
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "usage: pmohub metrics NAME [--project P] [--scope S] [--from D] [--to D] [--interval week]\nNAME is portfolio or one of: %s\n", strings.Join(metrics.Names(), ", "))
	}
	// the name may come before or after the flags
	name := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		fs.Usage()
		return &exitError{code: 2}
	}
	if *format != "json" {
		return &exitError{code: 2, err: fmt.Errorf("metrics: --format %q: only json", *format)}
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	wh, err := a.openWarehouse(ctx, cfg)
	if err != nil {
		return err
	}
	defer wh.Close()
	if err := metrics.Install(ctx, wh); err != nil {
		return err
	}
	reader := metrics.NewReader(wh, metricsOptions(cfg))
	var v any
	if name == "portfolio" {
		v, err = reader.Portfolio(ctx)
	} else {
		var q metrics.Query
		q, err = web.MetricQuery(url.Values{"project": {*project}, "scope": {*scope}, "from": {*from}, "to": {*to}, "interval": {*interval}})
		if err == nil {
			v, err = reader.Metric(ctx, name, q)
		}
	}
	if errors.Is(err, metrics.ErrUnknownMetric) {
		return &exitError{code: 2, err: fmt.Errorf("metrics: unknown metric %q (portfolio, %s)", name, strings.Join(metrics.Names(), ", "))}
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// metricsOptions carries the config's metric settings to the readers.
func metricsOptions(cfg *config.Config) metrics.Options {
	h := cfg.Serve.Health
	return metrics.Options{StaleDays: cfg.Serve.StaleDays, Health: metrics.HealthRules{
		RedForecastSlip: h.RedForecastSlip, AmberStaleShare: h.AmberStaleShare, DisableMilestoneRule: h.IgnoreOverdueMilestones}}
}
