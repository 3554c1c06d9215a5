package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/pmohub/pmohub/warehouse"
)

// Options configure the metrics. The zero value gives the documented defaults.
type Options struct {
	// StaleDays: an in-progress item with no update for this many days is stale (14).
	StaleDays int
	// SampleWeeks: how many recent full weeks of throughput feed the forecast and the
	// portfolio's throughput trend (12).
	SampleWeeks int
	// Trials of the Monte Carlo forecast (10000) and its seed (fixed, so a page shows the
	// same dates on every refresh).
	Trials int
	Seed   uint64
	Health HealthRules
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Reader computes the metrics of one warehouse tenant.
type Reader struct {
	wh     *warehouse.Warehouse
	b      sqlb
	opt    Options
	reopen reopenedCache
}

// NewReader returns the metrics of wh's tenant.
func NewReader(wh *warehouse.Warehouse, opt Options) *Reader {
	if opt.StaleDays <= 0 {
		opt.StaleDays = 14
	}
	if opt.SampleWeeks <= 0 {
		opt.SampleWeeks = 12
	}
	if opt.Trials <= 0 {
		opt.Trials = 10000
	}
	if opt.Seed == 0 {
		opt.Seed = 20240601
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Reader{wh: wh, b: readerSQL(wh.Layout()), opt: opt}
}

// Options returns the options in effect (defaults filled in).
func (r *Reader) Options() Options { return r.opt }

func (r *Reader) now() time.Time { return r.opt.Now().UTC() }

func (r *Reader) filter(project, scope string) filter {
	return filter{tenant: r.wh.Tenant(), project: project, scope: scope}
}

// WeekCount is one bucket of a zero-filled series.
type WeekCount struct {
	Week  string `json:"week"` // the bucket's first day, YYYY-MM-DD
	Items uint64 `json:"items"`
}

// ProjectSummary is one project's row of the portfolio.
type ProjectSummary struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Key             string   `json:"key"`
	URL             string   `json:"url"`
	Programme       string   `json:"programme"`
	Owner           string   `json:"owner"`
	ReportedStatus  string   `json:"reported_status"`
	StartDate       *string  `json:"start_date"`
	TargetDate      *string  `json:"target_date"`
	ReportedPercent *float64 `json:"reported_percent"`
	DefinedBy       []string `json:"defined_by"`

	Items             uint64   `json:"items"`
	Todo              uint64   `json:"todo"`
	WIP               uint64   `json:"wip"`
	Done              uint64   `json:"done"`
	Cancelled         uint64   `json:"cancelled"`
	Reopened          uint64   `json:"reopened"`
	Overdue           uint64   `json:"overdue"`
	Stale             uint64   `json:"stale"`
	Unestimated       uint64   `json:"unestimated"`
	EstimateTotal     float64  `json:"estimate_total"`
	EstimateDone      float64  `json:"estimate_done"`
	PercentByCount    *float64 `json:"percent_by_count"`
	PercentByEstimate *float64 `json:"percent_by_estimate"`

	Throughput        []WeekCount `json:"throughput"` // the last SampleWeeks full weeks
	Forecast          Forecast    `json:"forecast"`
	OverdueMilestones []Milestone `json:"overdue_milestones"`
	Health            Health      `json:"health"`

	Sources     []string   `json:"sources"`
	LastSuccess *time.Time `json:"last_success"` // the oldest last success among its sources
	LagSeconds  *int64     `json:"lag_seconds"`
}

// Milestone is a milestone work item.
type Milestone struct {
	ID             string  `json:"item_id"`
	Key            string  `json:"key"`
	Title          string  `json:"title"`
	URL            string  `json:"url"`
	Status         string  `json:"status"`
	StatusCategory string  `json:"status_category"`
	Due            *string `json:"due_date"`
	Overdue        bool    `json:"overdue"`
}

// Portfolio is every project with its rollups, health and reasons.
type Portfolio struct {
	GeneratedAt time.Time        `json:"generated_at"`
	Options     PortfolioOptions `json:"options"`
	Projects    []ProjectSummary `json:"projects"`
	Sources     []SourceStatus   `json:"sources"`
}

// PortfolioOptions echoes the settings the numbers depend on.
type PortfolioOptions struct {
	StaleDays   int         `json:"stale_days"`
	SampleWeeks int         `json:"sample_weeks"`
	Health      HealthRules `json:"health_rules"`
}

// SourceStatus is a source's data freshness.
type SourceStatus struct {
	Source      string     `json:"source"`
	LastSuccess *time.Time `json:"last_success"`
	LagSeconds  *int64     `json:"lag_seconds"`
	LastStatus  string     `json:"last_status"`
	LastError   string     `json:"last_error"`
	LastStarted *time.Time `json:"last_started"`
	Runs        uint64     `json:"runs"`
}

type rollupRow struct {
	ProjectID     string   `json:"project_id"`
	Items         uint64   `json:"items"`
	Todo          uint64   `json:"todo"`
	WIP           uint64   `json:"wip"`
	Done          uint64   `json:"done"`
	Cancelled     uint64   `json:"cancelled"`
	EstimateTotal float64  `json:"estimate_total"`
	EstimateDone  float64  `json:"estimate_done"`
	Unestimated   uint64   `json:"unestimated"`
	Overdue       uint64   `json:"overdue"`
	Stale         uint64   `json:"stale"`
	Reopened      uint64   `json:"reopened"`
	Weekly        []uint64 `json:"weekly"` // finished per week from the sample's start
	Sources       []string `json:"sources"`
}

type projectRow struct {
	ProjectID       string   `json:"project_id"`
	Name            string   `json:"name"`
	Key             string   `json:"key"`
	URL             string   `json:"url"`
	Programme       string   `json:"programme"`
	Owner           string   `json:"owner_id"`
	Status          string   `json:"status"`
	Health          string   `json:"health"`
	StartDate       *string  `json:"start_date"`
	TargetDate      *string  `json:"target_date"`
	PercentComplete *float64 `json:"percent_complete"`
	DefinedBy       []string `json:"defined_by"`
}

type milestoneRow struct {
	ProjectID string `json:"project_id"`
	Milestone
	OverdueN uint8 `json:"overdue"`
}

// sampleStart is the Monday SampleWeeks full weeks before this week.
func (r *Reader) sampleStart(now time.Time) time.Time {
	return monday(now).AddDate(0, 0, -7*r.opt.SampleWeeks)
}

func monday(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func dateLit(t time.Time) string { return "toDate('" + t.Format(time.DateOnly) + "')" }

// weekCounts labels n weekly counts from start (missing counts are zero).
func weekCounts(counts []uint64, start time.Time, n int) []WeekCount {
	out := make([]WeekCount, n)
	for i := range out {
		out[i].Week = start.AddDate(0, 0, 7*i).Format(time.DateOnly)
		if i < len(counts) {
			out[i].Items = counts[i]
		}
	}
	return out
}

// Sources reports each source's data freshness.
func (r *Reader) Sources(ctx context.Context) ([]SourceStatus, error) {
	var out []SourceStatus
	q := r.b.freshness(r.filter("", ""), fixedClock(r.now())) + " ORDER BY source"
	if err := r.query(ctx, q, &out); err != nil {
		return nil, fmt.Errorf("source freshness: %w", err)
	}
	if out == nil {
		out = []SourceStatus{}
	}
	return out, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// readSettings go with every reader query: the output format QueryInto decodes, and
// aggregation in the order of the snapshot's sorting key (tenant, project_id), which
// streams the per-project groups instead of building and merging a hash table per thread.
const readSettings = " SETTINGS output_format_json_quote_64bit_integers = 0, date_time_output_format = 'iso', optimize_aggregation_in_order = 1"

// query runs a SELECT with readSettings and decodes its rows into out.
func (r *Reader) query(ctx context.Context, sql string, out any) error {
	return r.wh.QueryInto(ctx, sql+readSettings, out)
}
