package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pmohub/pmohub/warehouse/metrics"
)

// freshnessCollector reports each source's data freshness from the warehouse at scrape
// time, so it survives restarts and counts syncs run by `pmohub sync` too.
type freshnessCollector struct {
	r   *metrics.Reader
	log *slog.Logger
}

var (
	lagDesc = prometheus.NewDesc("pmohub_source_freshness_seconds",
		"Seconds since the source's last successful sync (data freshness).", []string{"source"}, nil)
	lastOKDesc = prometheus.NewDesc("pmohub_source_last_success_timestamp_seconds",
		"Unix time of the source's last successful sync.", []string{"source"}, nil)
	lastFailedDesc = prometheus.NewDesc("pmohub_source_last_run_failed",
		"1 when the source's latest run failed.", []string{"source"}, nil)
)

func (c *freshnessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lagDesc
	ch <- lastOKDesc
	ch <- lastFailedDesc
}

func (c *freshnessCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srcs, err := c.r.Sources(ctx)
	if err != nil {
		c.log.Warn("metrics: reading source freshness", "err", err)
		return
	}
	for _, s := range srcs {
		failed := 0.0
		if s.LastStatus == "failed" {
			failed = 1
		}
		ch <- prometheus.MustNewConstMetric(lastFailedDesc, prometheus.GaugeValue, failed, s.Source)
		if s.LastSuccess == nil || s.LagSeconds == nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(*s.LagSeconds), s.Source)
		ch <- prometheus.MustNewConstMetric(lastOKDesc, prometheus.GaugeValue, float64(s.LastSuccess.UnixMilli())/1000, s.Source)
	}
}
