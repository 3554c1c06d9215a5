package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pmohub/pmohub/warehouse/metrics"
	"github.com/pmohub/pmohub/warehouse/metrics/metricstest"
	"github.com/pmohub/pmohub/web"
)

// browser starts Debian's headless chromium, or skips the test saying why.
func browser(t *testing.T) (context.Context, *[]string) {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("skipping the browser test: chromium is not installed (apt-get install -y chromium, or make chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(t.Context(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	// start the browser before listening to its console: both would otherwise launch one
	// on the same profile directory
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	var mu sync.Mutex
	problems := &[]string{}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				*problems = append(*problems, m.String()+" "+m.URL)
				mu.Unlock()
			}
		}
	}()
	return ctx, problems
}

func screenshotDir(t *testing.T) string {
	if d := os.Getenv("PMOHUB_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d KB)", path, len(png)/1024)
}

func pctText(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", *v)
}

// TestDashboardInChromium loads both pages in headless chromium: no console errors, the
// numbers on screen equal the API's, and a screenshot of each page.
func TestDashboardInChromium(t *testing.T) {
	ctx, problems := browser(t)
	w := metricstest.Seed(t)
	r := metricstest.Reader(w)
	srv, err := web.New(web.Options{Metrics: r, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	want, err := r.Portfolio(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	dir := screenshotDir(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	type row struct {
		ID, Percent, Overdue, Stale, RAG string
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(`#projects tbody tr`),
		chromedp.WaitVisible(`#chart-throughput canvas`))
	if err != nil {
		t.Fatalf("portfolio page: %v", err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]row](`[...document.querySelectorAll('#projects tbody tr')].map(r => ({ID: r.dataset.project,
			Percent: r.querySelector('[data-col=percent]').textContent, Overdue: r.querySelector('[data-col=overdue]').textContent,
			Stale: r.querySelector('[data-col=stale]').textContent, RAG: r.querySelector('[data-rag]').dataset.rag}))`))
	if err != nil {
		t.Fatalf("portfolio rows: %v", err)
	}
	fcp, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: -1}).startTime`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("portfolio first contentful paint: %.0f ms", fcp)
	shoot(t, ctx, dir, "portfolio.png")
	if len(rows) != len(want.Projects) {
		t.Fatalf("%d rows on screen, %d projects in the API", len(rows), len(want.Projects))
	}
	byID := map[string]metrics.ProjectSummary{}
	for _, p := range want.Projects {
		byID[p.ID] = p
	}
	for _, got := range rows {
		p, ok := byID[got.ID]
		exp := row{ID: p.ID, Percent: pctText(p.PercentByCount), Overdue: fmt.Sprint(p.Overdue), Stale: fmt.Sprint(p.Stale), RAG: p.Health.RAG}
		if !ok || got != exp {
			t.Errorf("on screen %+v, API %+v", got, exp)
		}
	}
	// sorting by clicking a header, filtering by programme
	err = chromedp.Do(ctx, chromedp.Click(`th[data-sort=name]`))
	first, err2 := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#projects tbody tr').dataset.project`))
	if err = errors.Join(err, err2); err != nil || first != "jira:A" {
		t.Errorf("sorted by name, first row %q (%v)", first, err)
	}
	err = chromedp.Do(ctx, chromedp.SetValue(`#f-programme`, "Growth"))
	n, err2 := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById('f-programme').dispatchEvent(new Event('input')); document.querySelectorAll('#projects tbody tr').length`))
	if err = errors.Join(err, err2); err != nil || n != 2 {
		t.Errorf("filtered by programme Growth: %d rows (%v)", n, err)
	}

	// the project page
	d, err := r.Project(t.Context(), "jira:A")
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/project?id=jira%3AA"),
		chromedp.WaitVisible(`#overdue tbody tr a`),
		chromedp.WaitVisible(`#chart-cycle canvas`),
		chromedp.WaitVisible(`#chart-aging canvas`),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.getElementById('cycle-stats').textContent !== ''`)(ctx, t)
			return err
		}),
		chromedp.Sleep(300*time.Millisecond), // let the charts finish drawing for the screenshot
	)
	if err != nil {
		t.Fatalf("project page: %v", err)
	}
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	name, percent, overdueCard := text(`[data-field=name]`), text(`[data-card=percent] .value`), text(`[data-card=overdue] .value`)
	cycleStats, overdueLink := text(`#cycle-stats`), text(`#overdue tbody tr a`)
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(`#overdue tbody tr a`, "href"))
	if err != nil {
		t.Fatal(err)
	}
	overdueHref := href.Value
	shoot(t, ctx, dir, "project.png")
	if name != d.Name || percent != pctText(d.PercentByCount) || overdueCard != fmt.Sprint(d.Overdue) ||
		overdueLink != d.OverdueItems[0].Key || overdueHref != d.OverdueItems[0].URL {
		t.Errorf("project page shows %q %q %q %q %q; API %q %v %d %q %q", name, percent, overdueCard, overdueLink, overdueHref,
			d.Name, pctText(d.PercentByCount), d.Overdue, d.OverdueItems[0].Key, d.OverdueItems[0].URL)
	}
	cyc, err := r.Durations(t.Context(), metrics.Query{Project: "jira:A"}, "cycle")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cycleStats, fmt.Sprintf("%d finished", cyc.Count)) {
		t.Errorf("cycle stats %q, API count %d", cycleStats, cyc.Count)
	}
	if len(*problems) > 0 {
		b, _ := json.MarshalIndent(*problems, "", "  ")
		t.Errorf("console errors:\n%s", b)
	}
}
