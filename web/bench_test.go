package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/metrics"
	"github.com/pmohub/pmohub/warehouse/whtest"
	"github.com/pmohub/pmohub/web"
)

// seedLarge writes 1,000,000 work items with 5,000,000 transitions in 50 projects, with
// INSERT … SELECT FROM numbers() (the engine generates the rows itself). By default each
// project's items share one status (issue 8's data: no project can be forecast); mixed
// gives every project all five statuses, so forecasts, aging and stale lists have work,
// and makes one item in ten reopened.
func seedLarge(b testing.TB, w *warehouse.Warehouse, mixed bool) {
	ctx := context.Background()
	q := w.Layout().Q
	status, started, reopenedFrom := "number % 5", "created + toIntervalHour(20)", "'in_progress'"
	if mixed {
		status, started = "intDiv(number, 50) % 5", "if(intDiv(number, 50) % 5 = 0, NULL, created + toIntervalHour(20))"
		reopenedFrom = "if(intDiv(number, 5) % 10 = 0, 'done', 'in_progress')"
	}
	stmts := []string{
		fmt.Sprintf(`INSERT INTO %s (tenant, source, generation, item_id, source_kind, native_id, key, url, scope, project_id, title,
  item_type, type_category, status, status_category, estimate, created_at, updated_at, started_at, resolved_at, due_date, raw_ref, version, is_deleted, synced_at)
SELECT 'default', 'jira', 1, concat('jira:', toString(number)), 'jira', toString(number), concat('P', toString(number %% 50), '-', toString(number)),
  concat('https://acme.atlassian.net/browse/P', toString(number %% 50), '-', toString(number)), concat('jira_project:P', toString(number %% 50)),
  concat('jira:P', toString(number %% 50)), concat('Capability ', toString(number)), 'Story', 'story',
  ['To Do', 'In Progress', 'Done', 'Done', 'Cancelled'][%[2]s + 1], ['todo', 'in_progress', 'done', 'done', 'cancelled'][%[2]s + 1],
  if(number %% 7 = 0, NULL, toFloat64(number %% 13)),
  now64(3, 'UTC') - toIntervalHour(24 * 30 + number %% 8760) AS created, created + toIntervalHour(number %% 900), %[3]s,
  if(%[2]s IN (2, 3, 4), created + toIntervalHour(24 + number %% 700), NULL), if(number %% 3 = 0, toDate(created) + 60, NULL),
  concat('issues/', toString(number)), 1, 0, now64(3, 'UTC')
FROM numbers(1000000)`, q(warehouse.WorkItems.Storage()), status, started),
		fmt.Sprintf(`INSERT INTO %s (tenant, source, generation, item_id, transition_id, at, field, from_value, to_value, from_category, to_category, raw_ref, version, is_deleted, synced_at)
SELECT 'default', 'jira', 1, concat('jira:', toString(intDiv(number, 5))), toString(number),
  now64(3, 'UTC') - toIntervalHour(24 * 30 + intDiv(number, 5) %% 8760) + toIntervalHour(10 * (number %% 5)), 'status',
  ['To Do', 'In Progress', 'Review', 'In Progress', 'Review'][number %% 5 + 1], ['In Progress', 'Review', 'In Progress', 'Review', 'Done'][number %% 5 + 1],
  if(number %% 5 = 2, %[2]s, ['todo', 'in_progress', 'in_progress', 'in_progress', 'in_progress'][number %% 5 + 1]), ['in_progress', 'in_progress', 'in_progress', 'in_progress', 'done'][number %% 5 + 1],
  concat('issues/', toString(intDiv(number, 5))), 1, 0, now64(3, 'UTC')
FROM numbers(5000000)`, q(warehouse.Transitions.Storage()), reopenedFrom),
		fmt.Sprintf(`INSERT INTO %s (tenant, source, generation, project_id, source_kind, native_id, key, name, programme, owner_id, health, target_date, raw_ref, version, is_deleted, synced_at)
SELECT 'default', 'register', 1, concat('jira:P', toString(number)), 'sheets', toString(number), concat('P', toString(number)), concat('Project ', toString(number)),
  concat('Programme ', toString(number %% 5)), concat('Owner ', toString(number %% 7)), ['green', 'amber', 'red'][number %% 3 + 1],
  today() + 30 * (number %% 12), concat('rows/', toString(number)), 1, 0, now64(3, 'UTC')
FROM numbers(50)`, q(warehouse.Projects.Storage())),
	}
	t0 := time.Now()
	for _, s := range stmts {
		if err := w.Exec(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	for _, src := range []string{"jira", "register"} {
		if err := w.ActivateGeneration(ctx, src, warehouse.Generation{Generation: 1}); err != nil {
			b.Fatal(err)
		}
		now := time.Now().UTC()
		if err := w.SaveRun(ctx, warehouse.SyncRun{RunID: "r-" + src, Source: src, StartedAt: now.Add(-time.Hour), FinishedAt: &now, Status: "succeeded"}); err != nil {
			b.Fatal(err)
		}
	}
	// the API reads the snapshots, which the engine rebuilds after each sync
	if err := w.RefreshSnapshots(ctx); err != nil {
		b.Fatal(err)
	}
	if err := metrics.Install(ctx, w); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 1M items and 5M transitions in %v", time.Since(t0).Round(time.Millisecond))
}

// BenchmarkAPILarge measures the median latency of /api/v1/portfolio (target < 300 ms)
// and of each call the project page makes (target < 200 ms each) over 1M items and 5M
// transitions in 50 projects.
func BenchmarkAPILarge(b *testing.B) { benchAPI(b, false) }

// BenchmarkAPILargeMixed is the same volume with every status in every project and one
// item in ten reopened: every project is forecast and has work in progress.
func BenchmarkAPILargeMixed(b *testing.B) { benchAPI(b, true) }

func benchAPI(b *testing.B, mixed bool) {
	w := whtest.New(b, "default")
	seedLarge(b, w, mixed)
	srv, err := web.New(web.Options{Metrics: metrics.NewReader(w, metrics.Options{}), Registry: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	calls := []struct{ name, path string }{
		{"portfolio", "/api/v1/portfolio"},
		{"project", "/api/v1/projects/jira:P7"},
		{"burnup", "/api/v1/metrics/burnup?project=jira:P7"},
		{"throughput", "/api/v1/metrics/throughput?project=jira:P7"},
		{"cycle_time", "/api/v1/metrics/cycle_time?project=jira:P7"},
		{"aging", "/api/v1/metrics/aging?project=jira:P7"},
	}
	for _, c := range calls {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				res, err := ts.Client().Get(ts.URL + c.path)
				if err != nil {
					b.Fatal(err)
				}
				// the whole answer: a call ends when the page has its data
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil {
					b.Fatal(err)
				}
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %s", c.path, res.Status)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median_ms")
		})
	}
}
