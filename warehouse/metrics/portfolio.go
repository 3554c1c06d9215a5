package metrics

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"
)

// Portfolio computes every project's rollups.
func (r *Reader) Portfolio(ctx context.Context) (Portfolio, error) {
	p, _, err := r.portfolio(ctx, "")
	return p, err
}

// portfolio computes the rollups of every project, or of one (project != ""). For one
// project it also returns all its milestones (the page lists them), read in the same
// query as the overdue ones the health rules need.
func (r *Reader) portfolio(ctx context.Context, project string) (Portfolio, []Milestone, error) {
	now := r.now()
	c := fixedClock(now)
	f := r.filter(project, "")
	start := r.sampleStart(now)
	out := Portfolio{GeneratedAt: now, Options: PortfolioOptions{StaleDays: r.opt.StaleDays, SampleWeeks: r.opt.SampleWeeks, Health: r.opt.Health.withDefaults()}}

	var rolls []rollupRow
	q := r.b.rollup(f, c, r.opt.StaleDays, dateLit(start), r.opt.SampleWeeks)
	if err := r.query(ctx, q, &rolls); err != nil {
		return out, nil, fmt.Errorf("portfolio rollups: %w", err)
	}
	var projs []projectRow
	if err := r.query(ctx, r.b.projectsList(f), &projs); err != nil {
		return out, nil, fmt.Errorf("portfolio projects: %w", err)
	}
	// the whole portfolio only needs the overdue milestones; one project lists them all
	mq := r.b.milestones(f, c)
	if project == "" {
		mq += " AND overdue = 1"
	}
	var miles []milestoneRow
	if err := r.query(ctx, mq+" ORDER BY isNull(due_date), due_date, key", &miles); err != nil {
		return out, nil, fmt.Errorf("portfolio milestones: %w", err)
	}
	srcs, err := r.Sources(ctx)
	if err != nil {
		return out, nil, err
	}
	out.Sources = srcs
	reopened, err := r.reopened(ctx)
	if err != nil {
		return out, nil, err
	}
	if reopened != nil {
		perProject := map[string]uint64{}
		for _, pid := range reopened {
			perProject[pid]++
		}
		for i := range rolls {
			rolls[i].Reopened = perProject[rolls[i].ProjectID]
		}
	}

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
	all := []Milestone{}
	for _, m := range miles {
		m.Milestone.Overdue = m.OverdueN == 1
		all = append(all, m.Milestone)
		if m.Milestone.Overdue {
			p := get(m.ProjectID)
			p.OverdueMilestones = append(p.OverdueMilestones, m.Milestone)
		}
	}
	for _, ro := range rolls {
		p := get(ro.ProjectID)
		p.Items, p.Todo, p.WIP, p.Done, p.Cancelled = ro.Items, ro.Todo, ro.WIP, ro.Done, ro.Cancelled
		p.Reopened, p.Overdue, p.Stale, p.Unestimated = ro.Reopened, ro.Overdue, ro.Stale, ro.Unestimated
		p.EstimateTotal, p.EstimateDone, p.Sources = ro.EstimateTotal, ro.EstimateDone, ro.Sources
		p.Throughput = weekCounts(ro.Weekly, start, r.opt.SampleWeeks)
	}
	lastOK := map[string]SourceStatus{}
	for _, s := range srcs {
		lastOK[s.Source] = s
	}
	for _, p := range byID {
		if project == "" || p.ID == project {
			out.Projects = append(out.Projects, *p)
		}
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	r.forEachProject(out.Projects, func(p *ProjectSummary) { r.assess(p, today, start, lastOK) })
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
	return out, all, nil
}

// forEachProject runs fn on every project, spread over the CPUs: the Monte Carlo
// forecasts are the portfolio's main cost in Go.
func (r *Reader) forEachProject(ps []ProjectSummary, fn func(*ProjectSummary)) {
	workers := min(runtime.GOMAXPROCS(0), len(ps))
	if workers <= 1 {
		for i := range ps {
			fn(&ps[i])
		}
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(&ps[i])
			}
		})
	}
	for i := range ps {
		next <- i
	}
	close(next)
	wg.Wait()
}

// assess completes a project's summary from its rollups: percentages, forecast, health
// and freshness.
func (r *Reader) assess(p *ProjectSummary, today, start time.Time, lastOK map[string]SourceStatus) {
	if p.Throughput == nil {
		p.Throughput = weekCounts(nil, start, r.opt.SampleWeeks)
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
		// the title is what people plan against ("Security sign-off"), the key a fallback
		late = append(late, orDefault(m.Title, m.Key))
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
}
