package metrics

import (
	"context"
	"fmt"
	"slices"
	"sort"
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
	wh  *warehouse.Warehouse
	b   sqlb
	opt Options
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
	Weeks         []string `json:"weeks"`
	WeekItems     []uint64 `json:"week_items"`
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

// Portfolio computes every project's rollups. project narrows it to one project ("" all).
func (r *Reader) Portfolio(ctx context.Context) (Portfolio, error) {
	return r.portfolio(ctx, "")
}

func (r *Reader) portfolio(ctx context.Context, project string) (Portfolio, error) {
	now := r.now()
	c := fixedClock(now)
	f := r.filter(project, "")
	start := r.sampleStart(now)
	out := Portfolio{GeneratedAt: now, Options: PortfolioOptions{StaleDays: r.opt.StaleDays, SampleWeeks: r.opt.SampleWeeks, Health: r.opt.Health.withDefaults()}}

	var rolls []rollupRow
	q := "SELECT *, weekly.1 AS weeks, weekly.2 AS week_items FROM (" + r.b.rollup(f, c, r.opt.StaleDays, dateLit(start)) + ")"
	if err := r.wh.QueryInto(ctx, q, &rolls); err != nil {
		return out, fmt.Errorf("portfolio rollups: %w", err)
	}
	var projs []projectRow
	if err := r.wh.QueryInto(ctx, r.b.projectsList(f), &projs); err != nil {
		return out, fmt.Errorf("portfolio projects: %w", err)
	}
	var miles []milestoneRow
	if err := r.wh.QueryInto(ctx, r.b.milestones(f, c)+" AND overdue = 1 ORDER BY due_date, key", &miles); err != nil {
		return out, fmt.Errorf("portfolio milestones: %w", err)
	}
	srcs, err := r.Sources(ctx)
	if err != nil {
		return out, err
	}
	out.Sources = srcs

	byID := map[string]*ProjectSummary{}
	get := func(id string) *ProjectSummary {
		p := byID[id]
		if p == nil {
			p = &ProjectSummary{ID: id, Name: id, OverdueMilestones: []Milestone{}, DefinedBy: []string{}, Sources: []string{}}
			byID[id] = p
		}
		return p
	}
	for _, pr := range projs {
		p := get(pr.ProjectID)
		p.Name, p.Key, p.URL, p.Programme, p.Owner = orDefault(pr.Name, pr.ProjectID), pr.Key, pr.URL, pr.Programme, pr.Owner
		p.ReportedStatus, p.Health.Reported = pr.Status, pr.Health
		p.StartDate, p.TargetDate, p.ReportedPercent, p.DefinedBy = pr.StartDate, pr.TargetDate, pr.PercentComplete, pr.DefinedBy
	}
	for _, m := range miles {
		if project == "" || m.ProjectID == project {
			p := get(m.ProjectID)
			m.Milestone.Overdue = true
			p.OverdueMilestones = append(p.OverdueMilestones, m.Milestone)
		}
	}
	for _, ro := range rolls {
		p := get(ro.ProjectID)
		p.Items, p.Todo, p.WIP, p.Done, p.Cancelled = ro.Items, ro.Todo, ro.WIP, ro.Done, ro.Cancelled
		p.Reopened, p.Overdue, p.Stale, p.Unestimated = ro.Reopened, ro.Overdue, ro.Stale, ro.Unestimated
		p.EstimateTotal, p.EstimateDone, p.Sources = ro.EstimateTotal, ro.EstimateDone, ro.Sources
		p.Throughput = zeroFillWeeks(ro.Weeks, ro.WeekItems, start, r.opt.SampleWeeks)
	}
	lastOK := map[string]SourceStatus{}
	for _, s := range srcs {
		lastOK[s.Source] = s
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for _, p := range byID {
		if p.Throughput == nil {
			p.Throughput = zeroFillWeeks(nil, nil, start, r.opt.SampleWeeks)
		}
		if scope := p.Items - p.Cancelled; scope > 0 {
			v := round1(100 * float64(p.Done) / float64(scope))
			p.PercentByCount = &v
		}
		if p.EstimateTotal > 0 {
			v := round1(100 * p.EstimateDone / p.EstimateTotal)
			p.PercentByEstimate = &v
		}
		samples := make([]uint64, len(p.Throughput))
		for i, w := range p.Throughput {
			samples[i] = w.Items
		}
		p.Forecast = MonteCarlo(int(p.Todo+p.WIP), samples, today, r.opt.Trials, r.opt.Seed)
		var target *time.Time
		if p.TargetDate != nil {
			if t, err := time.Parse(time.DateOnly, *p.TargetDate); err == nil {
				target = &t
			}
		}
		var late []string
		for _, m := range p.OverdueMilestones {
			late = append(late, orDefault(m.Key, m.Title))
		}
		reported := p.Health.Reported
		p.Health = r.opt.Health.assess(healthInput{today: today, target: target, forecast: &p.Forecast,
			overdueMilestones: late, wip: int(p.WIP), stale: int(p.Stale)})
		p.Health.Reported = reported
		for _, s := range append(slices.Clone(p.Sources), p.DefinedBy...) {
			st, ok := lastOK[s]
			if !ok || st.LastSuccess == nil {
				continue
			}
			if p.LastSuccess == nil || st.LastSuccess.Before(*p.LastSuccess) {
				p.LastSuccess, p.LagSeconds = st.LastSuccess, st.LagSeconds
			}
		}
		if project == "" || p.ID == project {
			out.Projects = append(out.Projects, *p)
		}
	}
	sort.Slice(out.Projects, func(i, j int) bool {
		a, b := out.Projects[i], out.Projects[j]
		if a.Programme != b.Programme {
			return a.Programme < b.Programme
		}
		return a.Name < b.Name
	})
	if out.Projects == nil {
		out.Projects = []ProjectSummary{}
	}
	return out, nil
}

// zeroFillWeeks turns sparse (week, count) pairs into n consecutive weeks from start.
func zeroFillWeeks(weeks []string, counts []uint64, start time.Time, n int) []WeekCount {
	got := map[string]uint64{}
	for i, w := range weeks {
		if i < len(counts) {
			got[w] = counts[i]
		}
	}
	out := make([]WeekCount, n)
	for i := range out {
		d := start.AddDate(0, 0, 7*i).Format(time.DateOnly)
		out[i] = WeekCount{Week: d, Items: got[d]}
	}
	return out
}

// Sources reports each source's data freshness.
func (r *Reader) Sources(ctx context.Context) ([]SourceStatus, error) {
	var out []SourceStatus
	q := r.b.freshness(r.filter("", ""), fixedClock(r.now())) + " ORDER BY source"
	if err := r.wh.QueryInto(ctx, q, &out); err != nil {
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
