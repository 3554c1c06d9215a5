package scheduler

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pmohub/pmohub/warehouse"
)

// runMetrics are the Prometheus series of sync runs, labelled by source.
type runMetrics struct {
	runs        *prometheus.CounterVec
	errors      *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	records     *prometheus.CounterVec
	requests    *prometheus.CounterVec
	throttled   *prometheus.CounterVec
	running     *prometheus.GaugeVec
	failures    *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
}

func newRunMetrics(reg prometheus.Registerer) (*runMetrics, error) {
	m := &runMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pmohub_sync_runs_total",
			Help: "Scheduled sync runs by outcome (succeeded, failed, cancelled, skipped)."}, []string{"source", "status"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pmohub_sync_errors_total",
			Help: "Scheduled sync runs that failed."}, []string{"source"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pmohub_sync_duration_seconds",
			Help:    "Duration of scheduled sync runs.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600}}, []string{"source"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pmohub_sync_records_total",
			Help: "Records handled by sync runs: read from the source, written (canonical rows), deleted."}, []string{"source", "kind"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pmohub_sync_requests_total",
			Help: "HTTP requests made to sources."}, []string{"source"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pmohub_sync_throttled_total",
			Help: "Rate-limited answers received from sources."}, []string{"source"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pmohub_sync_running",
			Help: "1 while a source is syncing."}, []string{"source"}),
		failures: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pmohub_sync_consecutive_failures",
			Help: "Consecutive failed runs of a source (its backoff grows with it)."}, []string{"source"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pmohub_sync_last_success_timestamp_seconds",
			Help: "Unix time of the last successful scheduled run."}, []string{"source"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.runs, m.errors, m.duration, m.records, m.requests, m.throttled, m.running, m.failures, m.lastSuccess} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("scheduler metrics: already registered (one scheduler per registry): %w", err)
			}
			return nil, fmt.Errorf("scheduler metrics: %w", err)
		}
	}
	return m, nil
}

func (m *runMetrics) observe(source, status string, took time.Duration, run warehouse.SyncRun) {
	m.runs.WithLabelValues(source, status).Inc()
	if status == "skipped" {
		return
	}
	m.duration.WithLabelValues(source).Observe(took.Seconds())
	m.records.WithLabelValues(source, "read").Add(float64(run.RecordsRead))
	m.records.WithLabelValues(source, "written").Add(float64(run.RecordsWritten))
	m.records.WithLabelValues(source, "deleted").Add(float64(run.RecordsDeleted))
	m.requests.WithLabelValues(source).Add(float64(run.Requests))
	m.throttled.WithLabelValues(source).Add(float64(run.Throttled))
	switch status {
	case "succeeded":
		m.lastSuccess.WithLabelValues(source).SetToCurrentTime()
	case "failed":
		m.errors.WithLabelValues(source).Inc()
	}
}
