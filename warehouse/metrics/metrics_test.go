package metrics_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/metrics"
	"github.com/pmohub/pmohub/warehouse/metrics/metricstest"
)

func eqf(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || *got != want {
		t.Errorf("%s = %v, want %v", what, deref(got), want)
	}
}

func deref(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func checkPortfolioRollupsByHand(t *testing.T, w *warehouse.Warehouse) {
	p, err := metricstest.Reader(w).Portfolio(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, pr := range p.Projects {
		ids = append(ids, pr.ID)
	}
	// sorted by programme then name: "" (jira:B) before Growth (Apollo, Empty)
	if want := []string{"jira:B", "jira:A", "reg:Empty"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("projects %v, want %v", ids, want)
	}
	a, b, empty := p.Projects[1], p.Projects[0], p.Projects[2]

	// A: 8 items (the milestone is not one), A8 counted here and not in B.
	got := []uint64{a.Items, a.Todo, a.WIP, a.Done, a.Cancelled, a.Reopened, a.Overdue, a.Stale, a.Unestimated}
	if want := []uint64{8, 1, 2, 4, 1, 2, 1, 1, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("A counts (items todo wip done cancelled reopened overdue stale unestimated) = %v, want %v", got, want)
	}
	// 4 done of 7 not cancelled; estimates 14 of 15 (A3 and A6 unestimated, A5 cancelled)
	eqf(t, "A % by count", a.PercentByCount, 57.1)
	eqf(t, "A % by estimate", a.PercentByEstimate, 93.3)
	if a.EstimateTotal != 15 || a.EstimateDone != 14 {
		t.Errorf("A estimates %v/%v, want 14/15", a.EstimateDone, a.EstimateTotal)
	}
	// weekly throughput with a zero week (16 Feb) and two in the week of 23 Feb
	wantTP := []metrics.WeekCount{{"2026-02-02", 1}, {"2026-02-09", 1}, {"2026-02-16", 0}, {"2026-02-23", 2}}
	if !reflect.DeepEqual(a.Throughput, wantTP) {
		t.Errorf("A throughput %v, want %v", a.Throughput, wantTP)
	}
	// Samples are Binomial(2, ½) a week, 3 items remain: P(≤2 weeks) = 5/16, P(≤3) = 42/64,
	// P(≤4) = 219/256 ≈ 0.855, so p50 is 3 weeks and p85 4 (or 5 by sampling noise).
	if a.Forecast.Remaining != 3 || a.Forecast.P50Weeks != 3 || a.Forecast.P50 != "2026-03-25" ||
		(a.Forecast.P85Weeks != 4 && a.Forecast.P85Weeks != 5) {
		t.Errorf("A forecast %+v", a.Forecast)
	}
	// red by the overdue milestone, amber by 1 of 2 WIP stale; forecasts are within the 15 April target
	if a.Health.RAG != "red" || a.Health.Reported != "green" || len(a.Health.Reasons) != 2 ||
		!strings.Contains(a.Health.Reasons[0], "M1") || !strings.Contains(a.Health.Reasons[1], "1 of 2 items in progress are stale") {
		t.Errorf("A health %+v", a.Health)
	}
	if len(a.OverdueMilestones) != 1 || a.OverdueMilestones[0].Key != "M1" {
		t.Errorf("A overdue milestones %+v", a.OverdueMilestones)
	}
	if a.Name != "Apollo" || a.Programme != "Growth" || a.Owner != "Ann" || a.TargetDate == nil || *a.TargetDate != "2026-04-15" {
		t.Errorf("A register fields %+v", a)
	}
	// freshness: the oldest last success among its sources (register, 3 Mar 12:00); the
	// other tenant's later jira run does not count.
	if a.LastSuccess == nil || !a.LastSuccess.Equal(*metricstest.Day(3, 3, 12)) || a.LagSeconds == nil || *a.LagSeconds != 86400 {
		t.Errorf("A freshness %v %v", a.LastSuccess, a.LagSeconds)
	}

	// B: B1 (no start: throughput yes) and B2; A8 left it.
	if b.Items != 2 || b.Done != 1 || b.Todo != 1 || b.Name != "jira:B" {
		t.Errorf("B %+v", b)
	}
	if want := []metrics.WeekCount{{"2026-02-02", 0}, {"2026-02-09", 1}, {"2026-02-16", 0}, {"2026-02-23", 0}}; !reflect.DeepEqual(b.Throughput, want) {
		t.Errorf("B throughput %v", b.Throughput)
	}
	if b.Health.RAG != "green" || b.Health.Reasons[0] != "no target date: the forecast is not checked" {
		t.Errorf("B health %+v", b.Health)
	}
	if empty.Items != 0 || empty.PercentByCount != nil || empty.Forecast.Remaining != 0 {
		t.Errorf("Empty %+v", empty)
	}

	// sources: jira's last run failed after its last success at 10:00 (lag 2 h)
	if len(p.Sources) != 2 || p.Sources[0].Source != "jira" || p.Sources[0].LastStatus != "failed" ||
		*p.Sources[0].LagSeconds != 7200 || p.Sources[0].LastError != "HTTP 503" || p.Sources[0].Runs != 2 {
		t.Errorf("sources %+v", p.Sources)
	}
}

func checkCycleLeadTimeAndAging(t *testing.T, w *warehouse.Warehouse) {
	r := metricstest.Reader(w)
	q := metricstest.Period
	q.Project = "jira:A"
	c, err := r.Durations(t.Context(), q, "cycle")
	if err != nil {
		t.Fatal(err)
	}
	// cycle times 1, 2, 4, 7 days (A8, A1, A2, A4): linear interpolation between ranks
	if c.Count != 4 {
		t.Fatalf("cycle count %d: %+v", c.Count, c.Points)
	}
	eqf(t, "cycle p50", c.P50, 3)
	eqf(t, "cycle p85", c.P85, 5.65)
	eqf(t, "cycle p95", c.P95, 6.55)
	days := map[string]float64{}
	for _, p := range c.Points {
		days[p.Key] = p.Days
	}
	if want := map[string]float64{"A1": 2, "A2": 4, "A4": 7, "A8": 1}; !reflect.DeepEqual(days, want) {
		t.Errorf("cycle days %v, want %v", days, want)
	}
	l, err := r.Durations(t.Context(), q, "lead")
	if err != nil {
		t.Fatal(err)
	}
	// lead 5.5, 9, 12, 15.375
	eqf(t, "lead p50", l.P50, 10.5)

	// B1 has no start: no cycle time, but a lead time of 7 days
	q.Project = "jira:B"
	if c, _ := r.Durations(t.Context(), q, "cycle"); c.Count != 0 || c.P50 != nil {
		t.Errorf("B cycle %+v", c)
	}
	if l, _ := r.Durations(t.Context(), q, "lead"); l.Count != 1 || *l.P50 != 7 {
		t.Errorf("B lead %+v", l)
	}

	q.Project = "jira:A"
	a, err := r.Aging(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if a.Count != 2 || a.OverP85 != 1 || a.Items[0].Key != "A3" || *a.Items[0].AgeDays != 22.5 || *a.Items[1].AgeDays != 3.5 {
		t.Errorf("aging %+v", a)
	}
	e, err := r.FlowEfficiency(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	// A1 active 2 d; A4 active 5 d, waiting 1 d (Blocked); A2 and A8 have no history
	if e.Items != 2 || e.ActiveDays != 7 || e.WaitingDays != 1 || *e.Efficiency != 0.88 {
		t.Errorf("flow efficiency %+v", e)
	}
}

func checkThroughputBurnupAndItems(t *testing.T, w *warehouse.Warehouse) {
	r := metricstest.Reader(w)
	q := metricstest.Period
	q.Project = "jira:A"
	s, err := r.Throughput(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	want := []metrics.Bucket{{"2026-02-02", 1, 3}, {"2026-02-09", 1, 5}, {"2026-02-16", 0, 0}, {"2026-02-23", 2, 6}}
	if !reflect.DeepEqual(s.Buckets, want) {
		t.Errorf("throughput %+v, want %+v", s.Buckets, want)
	}
	// the whole portfolio by month: A1, A2, A4, A8 and B1 in February; the other tenant's A9 never
	all := metrics.Query{From: *metricstest.Day(1, 1, 0), To: *metricstest.Day(3, 1, 0), Interval: "month"}
	m, err := r.Metric(t.Context(), "throughput", all)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.(metrics.Series).Buckets; len(got) != 2 || got[0].Items != 0 || got[1].Items != 5 {
		t.Errorf("monthly portfolio throughput %+v", got)
	}

	bu, err := r.Burnup(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	wantBU := []metrics.BurnupPoint{
		{At: "2026-02-09", Scope: 5, Done: 1, ScopeEstimate: 16, DoneEstimate: 3},
		{At: "2026-02-16", Scope: 6, Done: 2, ScopeEstimate: 18, DoneEstimate: 8},
		{At: "2026-02-23", Scope: 6, Done: 2, ScopeEstimate: 14, DoneEstimate: 8},
		{At: "2026-03-02", Scope: 7, Done: 4, ScopeEstimate: 15, DoneEstimate: 14},
	}
	if !reflect.DeepEqual(bu, wantBU) {
		t.Errorf("burn-up\n got %+v\nwant %+v", bu, wantBU)
	}

	yes := true
	page, err := r.Items(t.Context(), metrics.ItemQuery{Overdue: &yes})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 || page.Items[0].Key != "A6" || page.Items[0].URL != "https://jira.example/browse/A6" {
		t.Errorf("overdue items %+v", page)
	}
	page, err = r.Items(t.Context(), metrics.ItemQuery{StatusCategory: "in_progress", Limit: 1, Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || len(page.Items) != 1 || page.Items[0].Key != "A3" {
		t.Errorf("in-progress page 2 %+v", page)
	}
	page, err = r.Items(t.Context(), metrics.ItemQuery{Project: "jira:A", Stale: &yes, Offset: 5})
	if err != nil || page.Total != 1 || len(page.Items) != 0 {
		t.Errorf("stale past the end %+v %v", page, err)
	}
}

func checkProjectDetailAndErrors(t *testing.T, w *warehouse.Warehouse) {
	r := metricstest.Reader(w)
	d, err := r.Project(t.Context(), "jira:A")
	if err != nil {
		t.Fatal(err)
	}
	if d.Items != 8 || len(d.Members) != 1 || d.Members[0].Ref != "A" || d.Members[0].Items != 9 {
		t.Errorf("members %+v (items %d)", d.Members, d.Items)
	}
	if len(d.OverdueItems) != 1 || d.OverdueItems[0].Key != "A6" || len(d.StaleItems) != 1 || d.StaleItems[0].Key != "A3" {
		t.Errorf("lists overdue %+v stale %+v", d.OverdueItems, d.StaleItems)
	}
	if len(d.Milestones) != 1 || !d.Milestones[0].Overdue {
		t.Errorf("milestones %+v", d.Milestones)
	}
	if _, err := r.Project(t.Context(), "nope"); !errors.Is(err, metrics.ErrNoProject) {
		t.Errorf("unknown project: %v", err)
	}
	if _, err := r.Metric(t.Context(), "velocity", metrics.Query{}); !errors.Is(err, metrics.ErrUnknownMetric) {
		t.Errorf("unknown metric: %v", err)
	}
	var bad *metrics.BadQueryError
	if _, err := r.Metric(t.Context(), "throughput", metrics.Query{Interval: "fortnight"}); !errors.As(err, &bad) {
		t.Errorf("bad interval: %v", err)
	}
	for _, name := range metrics.Names() {
		if _, err := r.Metric(t.Context(), name, metrics.Query{Project: "jira:A"}); err != nil {
			t.Errorf("metric %s: %v", name, err)
		}
	}
}

// The analysts' views give the same numbers as the readers (filtered by tenant).
func checkAnalystViewsAgree(t *testing.T, w *warehouse.Warehouse) {
	q := func(sql string, out any) {
		t.Helper()
		if err := w.QueryInto(t.Context(), sql, out); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	db := w.Layout().Database
	var tp []struct {
		Week  string `json:"week"`
		Items uint64 `json:"items"`
	}
	q("SELECT toString(week) AS week, items FROM "+db+".metric_throughput_weekly WHERE tenant = 'acme' AND project_id = 'jira:A' AND week < '2026-03-02' ORDER BY week", &tp)
	if len(tp) != 4 || tp[0].Week != "2026-02-02" || tp[2].Items != 0 || tp[3].Items != 2 {
		t.Errorf("metric_throughput_weekly %+v", tp)
	}
	var ct []struct {
		P []float64 `json:"p"`
	}
	q("SELECT quantilesExactInclusive(0.5, 0.85, 0.95)(cycle_days) AS p FROM "+db+".metric_cycle_time WHERE tenant = 'acme' AND project_id = 'jira:A'", &ct)
	if len(ct) != 1 || len(ct[0].P) != 3 || math.Abs(ct[0].P[0]-3) > 1e-9 || math.Abs(ct[0].P[1]-5.65) > 1e-9 || math.Abs(ct[0].P[2]-6.55) > 1e-9 {
		t.Errorf("metric_cycle_time quantiles %+v", ct)
	}
	var st []struct {
		Items    uint64   `json:"items"`
		Percent  *float64 `json:"percent_by_count"`
		Reopened uint64   `json:"reopened"`
	}
	q("SELECT items, percent_by_count, reopened FROM "+db+".metric_project_status WHERE tenant = 'acme' AND project_id = 'jira:A'", &st)
	if len(st) != 1 || st[0].Items != 8 || *st[0].Percent != 57.1 || st[0].Reopened != 2 {
		t.Errorf("metric_project_status %+v", st)
	}
	var fl []struct {
		Key      string `json:"key"`
		Reopened uint8  `json:"reopened"`
	}
	q("SELECT key, reopened FROM "+db+".metric_item_flow WHERE tenant = 'acme' AND reopened = 1 ORDER BY key", &fl)
	if len(fl) != 2 || fl[0].Key != "A3" || fl[1].Key != "A4" {
		t.Errorf("metric_item_flow reopened %+v", fl)
	}
	var n []struct {
		N uint64 `json:"n"`
	}
	q("SELECT count() AS n FROM "+db+".metric_wip WHERE tenant = 'other'", &n)
	if n[0].N != 1 {
		t.Errorf("metric_wip keeps tenants apart: other has %d", n[0].N)
	}
	for _, v := range metrics.ViewNames {
		q("SELECT count() AS n FROM "+db+"."+v, &n)
	}
}

func TestMonteCarlo(t *testing.T) {
	today := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	f := metrics.MonteCarlo(5, []uint64{2, 2}, today, 1000, 1)
	if f.P50Weeks != 3 || f.P85Weeks != 3 || f.P50 != "2026-03-25" {
		t.Errorf("constant pace: %+v", f)
	}
	if f := metrics.MonteCarlo(5, []uint64{0, 0}, today, 1000, 1); f.P50 != "" || f.Reason == "" {
		t.Errorf("no pace: %+v", f)
	}
	if f := metrics.MonteCarlo(0, nil, today, 1000, 1); f.P85 != "2026-03-04" {
		t.Errorf("nothing left: %+v", f)
	}
	a := metrics.MonteCarlo(40, []uint64{0, 1, 3, 8}, today, 2000, 7)
	b := metrics.MonteCarlo(40, []uint64{0, 1, 3, 8}, today, 2000, 7)
	if !reflect.DeepEqual(a, b) || a.P50Weeks > a.P85Weeks {
		t.Errorf("seeded runs differ or are unordered: %+v %+v", a, b)
	}
}

// The reader keeps reopened items per pair of snapshots: a transition written by a sync
// shows only once the snapshots are refreshed, and then it does.
func TestReopenedFollowsTheSnapshots(t *testing.T) {
	w := metricstest.Seed(t)
	r := metricstest.Reader(w)
	reopened := func() map[string]uint64 {
		t.Helper()
		p, err := r.Portfolio(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]uint64{}
		for _, pr := range p.Projects {
			out[pr.ID] = pr.Reopened
		}
		return out
	}
	if got := reopened(); got["jira:A"] != 2 || got["jira:B"] != 0 {
		t.Fatalf("reopened before %v", got)
	}
	a, err := r.Aging(t.Context(), metrics.Query{Project: "jira:A"})
	if err != nil || len(a.Items) != 2 || a.Items[0].Key != "A3" || a.Items[0].Reopened != 1 || a.Items[1].Reopened != 0 {
		t.Fatalf("aging flags %+v %v", a.Items, err)
	}

	metricstest.Reopen(t, w, "B1", *metricstest.Day(2, 12, 0))
	if got := reopened(); got["jira:B"] != 0 {
		t.Errorf("reopened moved before the snapshots did: %v", got)
	}
	if err := w.RefreshSnapshots(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := reopened(); got["jira:A"] != 2 || got["jira:B"] != 1 {
		t.Errorf("reopened after the refresh %v, want A 2 and B 1", got)
	}
	page, err := r.Items(t.Context(), metrics.ItemQuery{Project: "jira:B", StatusCategory: "done"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Key != "B1" || page.Items[0].Reopened != 1 {
		t.Errorf("B1 not flagged: %+v %v", page.Items, err)
	}
}

// TestMetricsByHand runs every check on one fixture (building it takes a few seconds).
func TestMetricsByHand(t *testing.T) {
	w := metricstest.Seed(t)
	for name, check := range map[string]func(*testing.T, *warehouse.Warehouse){
		"portfolio": checkPortfolioRollupsByHand, "cycle, lead, aging": checkCycleLeadTimeAndAging,
		"throughput, burn-up, items": checkThroughputBurnupAndItems, "project": checkProjectDetailAndErrors,
		"analyst views": checkAnalystViewsAgree,
	} {
		t.Run(name, func(t *testing.T) { check(t, w) })
	}
}
