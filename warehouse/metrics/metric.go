package metrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Query selects what a metric covers: one project, one source scope, or the whole
// portfolio (both empty), over [From, To) in buckets of Interval (day, week or month).
type Query struct {
	Project  string
	Scope    string
	From, To time.Time
	Interval string
}

// ErrUnknownMetric is returned for a metric name that does not exist.
var ErrUnknownMetric = errors.New("unknown metric")

// BadQueryError is a query the caller must fix (a bad interval or period).
type BadQueryError struct{ Msg string }

func (e *BadQueryError) Error() string { return e.Msg }

// Names lists the metrics Metric computes.
func Names() []string {
	return []string{"throughput", "cycle_time", "lead_time", "wip", "aging", "flow_efficiency",
		"completion", "burnup", "overdue", "stale", "forecast", "health", "freshness"}
}

// normalise fills the period: To defaults to now, From to SampleWeeks weeks earlier.
func (r *Reader) normalise(q Query) (Query, error) {
	if q.Interval == "" {
		q.Interval = "week"
	}
	if q.Interval != "day" && q.Interval != "week" && q.Interval != "month" {
		return q, &BadQueryError{Msg: fmt.Sprintf("interval %q: use day, week or month", q.Interval)}
	}
	if q.To.IsZero() {
		q.To = r.now()
	}
	if q.From.IsZero() {
		q.From = monday(q.To).AddDate(0, 0, -7*r.opt.SampleWeeks)
	}
	if !q.From.Before(q.To) {
		return q, &BadQueryError{Msg: "from must be before to"}
	}
	if q.To.Sub(q.From) > 5*366*24*time.Hour && q.Interval == "day" {
		return q, &BadQueryError{Msg: "at most five years by day"}
	}
	return q, nil
}

func timeLit(t time.Time) string {
	return fmt.Sprintf("toDateTime64('%s', 3, 'UTC')", t.UTC().Format("2006-01-02 15:04:05.000"))
}

// Metric computes one metric by name; the result is one of this package's types.
func (r *Reader) Metric(ctx context.Context, name string, q Query) (any, error) {
	q, err := r.normalise(q)
	if err != nil {
		return nil, err
	}
	switch name {
	case "throughput":
		return r.Throughput(ctx, q)
	case "cycle_time":
		return r.Durations(ctx, q, "cycle")
	case "lead_time":
		return r.Durations(ctx, q, "lead")
	case "wip", "aging":
		return r.Aging(ctx, q)
	case "flow_efficiency":
		return r.FlowEfficiency(ctx, q)
	case "burnup":
		return r.Burnup(ctx, q)
	case "overdue", "stale":
		cond := "overdue = 1"
		if name == "stale" {
			cond = "stale = 1"
		}
		items, err := r.flowItems(ctx, r.filter(q.Project, q.Scope), cond, "isNull(due_date), due_date, key")
		return ItemList{Count: len(items), Items: items}, err
	case "completion", "forecast", "health":
		p, _, err := r.portfolio(ctx, q.Project)
		if err != nil {
			return nil, err
		}
		return projectPart(p.Projects, name), nil
	case "freshness":
		return r.Sources(ctx)
	}
	return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownMetric, name, Names())
}

// ItemList is a list of items with its length.
type ItemList struct {
	Count int    `json:"count"`
	Items []Item `json:"items"`
}

// ProjectPart is one part of each project's summary.
type ProjectPart struct {
	Project string `json:"project_id"`
	Name    string `json:"name"`
	Value   any    `json:"value"`
}

// Completion is % complete by count and by estimate.
type Completion struct {
	Scope             uint64   `json:"scope"` // items not cancelled
	Done              uint64   `json:"done"`
	PercentByCount    *float64 `json:"percent_by_count"`
	EstimateTotal     float64  `json:"estimate_total"`
	EstimateDone      float64  `json:"estimate_done"`
	PercentByEstimate *float64 `json:"percent_by_estimate"`
	Unestimated       uint64   `json:"unestimated"`
}

func projectPart(ps []ProjectSummary, name string) []ProjectPart {
	out := make([]ProjectPart, 0, len(ps))
	for _, p := range ps {
		var v any
		switch name {
		case "completion":
			v = Completion{Scope: p.Items - p.Cancelled, Done: p.Done, PercentByCount: p.PercentByCount,
				EstimateTotal: p.EstimateTotal, EstimateDone: p.EstimateDone, PercentByEstimate: p.PercentByEstimate, Unestimated: p.Unestimated}
		case "forecast":
			v = p.Forecast
		case "health":
			v = p.Health
		}
		out = append(out, ProjectPart{Project: p.ID, Name: p.Name, Value: v})
	}
	return out
}

// Series is a zero-filled series of finished items per bucket.
type Series struct {
	Interval string   `json:"interval"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Buckets  []Bucket `json:"buckets"`
}

// Bucket is one interval of a series.
type Bucket struct {
	Start    string  `json:"start"`
	Items    uint64  `json:"items"`
	Estimate float64 `json:"estimate"`
}

// Throughput counts items finished per bucket in the period, zero-filled.
func (r *Reader) Throughput(ctx context.Context, q Query) (Series, error) {
	q, err := r.normalise(q)
	if err != nil {
		return Series{}, err
	}
	var rows []Bucket
	sql := "SELECT toString(bucket) AS start, items, estimate FROM (" +
		r.b.throughputBuckets(r.filter(q.Project, q.Scope), q.Interval, timeLit(q.From), timeLit(q.To)) + ")"
	if err := r.query(ctx, sql, &rows); err != nil {
		return Series{}, fmt.Errorf("throughput: %w", err)
	}
	got := map[string]Bucket{}
	for _, b := range rows {
		got[b.Start] = b
	}
	s := Series{Interval: q.Interval, From: q.From.UTC().Format(time.RFC3339), To: q.To.UTC().Format(time.RFC3339), Buckets: []Bucket{}}
	for _, start := range bucketStarts(q.From, q.To, q.Interval) {
		b := got[start]
		b.Start = start
		s.Buckets = append(s.Buckets, b)
	}
	return s, nil
}

// bucketStarts lists the buckets overlapping [from, to).
func bucketStarts(from, to time.Time, interval string) []string {
	from, to = from.UTC(), to.UTC()
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	step := func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	switch interval {
	case "week":
		d = monday(d)
		step = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	case "month":
		d = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		step = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	}
	var out []string
	for ; d.Before(to); d = step(d) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// Durations is the cycle- or lead-time distribution of items finished in the period.
type Durations struct {
	Kind   string   `json:"kind"` // cycle or lead
	Count  int      `json:"count"`
	P50    *float64 `json:"p50"` // days
	P85    *float64 `json:"p85"`
	P95    *float64 `json:"p95"`
	Points []Point  `json:"points"`
}

// Point is one finished item of a scatter.
type Point struct {
	ItemID     string    `json:"item_id"`
	Key        string    `json:"key"`
	URL        string    `json:"url"`
	FinishedAt time.Time `json:"finished_at"`
	Days       float64   `json:"days"`
}

// Durations reads cycle ("cycle") or lead ("lead") times of the items finished in the
// period. Percentiles interpolate linearly between ranks, as ClickHouse's
// quantileExactInclusive does (the analysts' view uses that function).
func (r *Reader) Durations(ctx context.Context, q Query, kind string) (Durations, error) {
	q, err := r.normalise(q)
	if err != nil {
		return Durations{}, err
	}
	// only the scatter's columns: a busy project finishes thousands of items a quarter
	var pts []Point
	sql := fmt.Sprintf("SELECT item_id, key, url, finished_at, %s AS days FROM (%s) WHERE %s ORDER BY finished_at, key",
		durationCol(kind), r.b.flow(r.filter(q.Project, q.Scope)), finishedIn(q, kind))
	if err := r.query(ctx, sql, &pts); err != nil {
		return Durations{}, fmt.Errorf("%s time: %w", kind, err)
	}
	d := Durations{Kind: kind, Count: len(pts), Points: nonNil(pts)}
	days := make([]float64, len(pts))
	for i := range pts {
		days[i] = pts[i].Days
		pts[i].Days = round2(pts[i].Days)
	}
	d.P50, d.P85, d.P95 = quantile(days, 0.50), quantile(days, 0.85), quantile(days, 0.95)
	return d, nil
}

func durationCol(kind string) string {
	if kind == "lead" {
		return "lead_days"
	}
	return "cycle_days"
}

// finishedIn selects the flow rows finished in the query's period with a duration of kind.
func finishedIn(q Query, kind string) string {
	return fmt.Sprintf("isNotNull(finished_at) AND finished_at >= %s AND finished_at < %s AND isNotNull(%s)",
		timeLit(q.From), timeLit(q.To), durationCol(kind))
}

// quantile is the linear-interpolation quantile (quantileExactInclusive); nil when empty.
func quantile(v []float64, p float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := slices.Clone(v)
	slices.Sort(s)
	h := float64(len(s)-1) * p
	lo := int(math.Floor(h))
	x := s[lo]
	if lo+1 < len(s) {
		x += (h - float64(lo)) * (s[lo+1] - s[lo])
	}
	x = round2(x)
	return &x
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// Aging is the work in progress with each item's age against the p85 cycle time.
type Aging struct {
	Count        int      `json:"count"`
	P85CycleDays *float64 `json:"p85_cycle_days"` // of items finished in the period
	OverP85      int      `json:"over_p85"`
	Items        []Item   `json:"items"` // oldest first
}

// Aging reads the items in progress now, oldest first.
func (r *Reader) Aging(ctx context.Context, q Query) (Aging, error) {
	q, err := r.normalise(q)
	if err != nil {
		return Aging{}, err
	}
	// the p85 needs the cycle times only, not the scatter's points
	var cyc []struct {
		Days []float64 `json:"days"`
	}
	sql := fmt.Sprintf("SELECT groupArray(cycle_days) AS days FROM (%s) WHERE %s", r.b.flow(r.filter(q.Project, q.Scope)), finishedIn(q, "cycle"))
	if err := r.query(ctx, sql, &cyc); err != nil {
		return Aging{}, fmt.Errorf("aging: %w", err)
	}
	var p85 *float64
	if len(cyc) == 1 {
		p85 = quantile(cyc[0].Days, 0.85)
	}
	items, err := r.flowItems(ctx, r.filter(q.Project, q.Scope), "status_category = 'in_progress'", "isNull(age_days), age_days DESC, key")
	if err != nil {
		return Aging{}, fmt.Errorf("aging: %w", err)
	}
	a := Aging{Count: len(items), P85CycleDays: p85, Items: items}
	for _, it := range items {
		if it.AgeDays != nil && p85 != nil && *it.AgeDays > *p85 {
			a.OverP85++
		}
	}
	return a, nil
}

// Efficiency is the share of cycle time spent in active statuses.
type Efficiency struct {
	Items       int      `json:"items"`
	ActiveDays  float64  `json:"active_days"`
	WaitingDays float64  `json:"waiting_days"`
	Efficiency  *float64 `json:"efficiency"` // active / (active + waiting), 0–1
}

// FlowEfficiency sums active and waiting time of the items finished in the period.
func (r *Reader) FlowEfficiency(ctx context.Context, q Query) (Efficiency, error) {
	q, err := r.normalise(q)
	if err != nil {
		return Efficiency{}, err
	}
	var rows []struct {
		Items   uint64  `json:"items"`
		Active  float64 `json:"active"`
		Waiting float64 `json:"waiting"`
	}
	sql := "SELECT count() AS items, sum(active_seconds) / 86400 AS active, sum(waiting_seconds) / 86400 AS waiting FROM (" +
		r.b.flowEfficiency(r.filter(q.Project, q.Scope), timeLit(q.From), timeLit(q.To)) + ")"
	if err := r.query(ctx, sql, &rows); err != nil {
		return Efficiency{}, fmt.Errorf("flow efficiency: %w", err)
	}
	e := Efficiency{}
	if len(rows) == 1 {
		e.Items, e.ActiveDays, e.WaitingDays = int(rows[0].Items), round2(rows[0].Active), round2(rows[0].Waiting)
		if tot := rows[0].Active + rows[0].Waiting; tot > 0 {
			v := round2(rows[0].Active / tot)
			e.Efficiency = &v
		}
	}
	return e, nil
}

// BurnupPoint is the scope and the done work at one moment.
type BurnupPoint struct {
	At            string  `json:"at"` // the end of the bucket (exclusive), YYYY-MM-DD
	Scope         uint64  `json:"scope"`
	Done          uint64  `json:"done"`
	ScopeEstimate float64 `json:"scope_estimate"`
	DoneEstimate  float64 `json:"done_estimate"`
}

// Burnup is done versus total scope at the end of each bucket of the period.
func (r *Reader) Burnup(ctx context.Context, q Query) ([]BurnupPoint, error) {
	q, err := r.normalise(q)
	if err != nil {
		return nil, err
	}
	starts := bucketStarts(q.From, q.To, q.Interval)
	ends := make([]string, 0, len(starts))
	for i := range starts {
		end := q.To.UTC()
		if i+1 < len(starts) {
			end, _ = time.Parse(time.DateOnly, starts[i+1])
		}
		ends = append(ends, timeLit(end))
	}
	if len(ends) == 0 {
		return []BurnupPoint{}, nil
	}
	points := "[" + joinComma(ends) + "]"
	var out []BurnupPoint
	sql := "SELECT toString(toDate(at)) AS at, scope, done, scope_estimate, done_estimate FROM (" + r.b.burnup(r.filter(q.Project, q.Scope), points) + ")"
	if err := r.query(ctx, sql, &out); err != nil {
		return nil, fmt.Errorf("burn-up: %w", err)
	}
	if out == nil {
		out = []BurnupPoint{}
	}
	return out, nil
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}
