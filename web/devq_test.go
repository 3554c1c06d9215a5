package web_test

// TEMPORARY dev harness (to be deleted): PMOHUB_DEVQ_DIR keeps a seeded engine between runs.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/metrics"
)

func TestDevQuery(t *testing.T) {
	dir := os.Getenv("PMOHUB_DEVQ_DIR")
	if dir == "" {
		t.Skip("dev only")
	}
	ctx := context.Background()
	e, err := warehouse.OpenEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	tb := &timedBackend{Embedded: e}
	w := warehouse.New(tb, warehouse.Layout{Database: "bench"}, "default")
	if _, err := w.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var n []struct {
		N uint64 `json:"n"`
	}
	if err := w.QueryInto(ctx, "SELECT count() AS n FROM bench.work_items_current", &n); err != nil {
		t.Fatal(err)
	}
	if n[0].N == 0 {
		seedLarge(t, w)
	}
	if err := metrics.Install(ctx, w); err != nil {
		t.Fatal(err)
	}
	if f := os.Getenv("PMOHUB_DEVQ_SQL"); f != "" {
		data, _ := os.ReadFile(f)
		for _, q := range strings.Split(string(data), ";;\n") {
			q = strings.TrimSpace(q)
			if q == "" {
				continue
			}
			var best time.Duration
			var out []byte
			for i := 0; i < 3; i++ {
				t0 := time.Now()
				out, err = w.Query(ctx, q, "TSV")
				if d := time.Since(t0); i == 0 || d < best {
					best = d
				}
				if err != nil {
					break
				}
			}
			s := string(out)
			if len(s) > 1500 {
				s = s[:1500] + "…"
			}
			t.Logf("---- %v err=%v\n%s\n%s", best, err, firstLine(q), s)
		}
	}
	if os.Getenv("PMOHUB_DEVQ_API") != "" {
		r := metrics.NewReader(w, metrics.Options{})
		calls := map[string]func() (any, error){
			"portfolio": func() (any, error) { return r.Portfolio(ctx) },
			"project":   func() (any, error) { return r.Project(ctx, "jira:P7") },
		}
		for _, m := range []string{"burnup", "throughput", "cycle_time", "aging", "flow_efficiency", "lead_time", "completion", "forecast", "health", "overdue", "stale"} {
			calls[m] = func() (any, error) { return r.Metric(ctx, m, metrics.Query{Project: "jira:P7"}) }
		}
		calls["items"] = func() (any, error) { return r.Items(ctx, metrics.ItemQuery{Project: "jira:P7"}) }
		calls["items_all_overdue"] = func() (any, error) { yes := true; return r.Items(ctx, metrics.ItemQuery{Overdue: &yes}) }
		for _, name := range strings.Split(os.Getenv("PMOHUB_DEVQ_API"), ",") {
			c := calls[name]
			if c == nil {
				continue
			}
			var ds []time.Duration
			for i := 0; i < 5; i++ {
				t0 := time.Now()
				if _, err := c(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				ds = append(ds, time.Since(t0))
				if i == 3 {
					tb.log = nil
					tb.on = true
				}
				if i == 4 {
					tb.on = false
				}
			}
			t.Logf("%-18s %v", name, ds)
			for _, l := range tb.log {
				t.Logf("      %s", l)
			}
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}

type timedBackend struct {
	*warehouse.Embedded
	on  bool
	log []string
}

func (b *timedBackend) Query(ctx context.Context, q, format string) ([]byte, error) {
	t0 := time.Now()
	out, err := b.Embedded.Query(ctx, q, format)
	if b.on {
		s := strings.Join(strings.Fields(q), " ")
		if len(s) > 110 {
			s = s[:110]
		}
		b.log = append(b.log, fmt.Sprintf("%8.1fms %6dB %s", float64(time.Since(t0).Microseconds())/1000, len(out), s))
		if f, err := os.OpenFile("/tmp/devq/queries.sql", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, "%s;;\n", q)
			f.Close()
		}
	}
	return out, err
}
