// Package metricstest builds the small hand-computed portfolio the metrics tests, the API
// tests and the dashboard tests check against.
package metricstest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/metrics"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

var ctx = context.Background()

// Now is Wednesday 4 March 2026, noon: this week starts Monday 2 March.
var Now = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

// Day is a time in 2026 (UTC).
func Day(m time.Month, d, h int) *time.Time {
	t := time.Date(2026, m, d, h, 0, 0, 0, time.UTC)
	return &t
}

func f(v float64) *float64 { return &v }

// row builds a storage row of a canonical table from the given fields; the rest are empty.
func row(t testing.TB, tbl *warehouse.Table, tenant, source string, version uint64, set map[string]any) warehouse.Row {
	t.Helper()
	cols := tbl.AllColumns()
	r := make(warehouse.Row, len(cols))
	for i, c := range cols {
		switch {
		case strings.HasPrefix(c.Type, "Array"):
			r[i] = []string{}
		case strings.HasPrefix(c.Type, "Map"):
			r[i] = map[string]string{}
		case strings.HasPrefix(c.Type, "Nullable"):
			r[i] = nil
		case strings.HasPrefix(c.Type, "DateTime64"):
			r[i] = Now
		default:
			r[i] = ""
		}
	}
	base := map[string]any{"tenant": tenant, "source": source, "generation": uint32(1), "raw_ref": "x/1",
		"version": version, "is_deleted": uint8(0), "synced_at": Now}
	for k, v := range base {
		r[tbl.ColumnIndex(k)] = v
	}
	for k, v := range set {
		i := tbl.ColumnIndex(k)
		if i < 0 {
			t.Fatalf("%s has no column %s", tbl.Name, k)
		}
		r[i] = v
	}
	return r
}

type tr struct {
	at       *time.Time
	from, to string // categories
	toValue  string
}

// fixture writes the hand-computed portfolio the tests below check (see the comments).
type fixture struct {
	t      testing.TB
	w      *warehouse.Warehouse
	items  []warehouse.Row
	trans  []warehouse.Row
	tenant string
}

func (fx *fixture) item(id, project, category string, set map[string]any, history ...tr) {
	m := map[string]any{"item_id": "jira:" + id, "native_id": id, "key": id, "url": "https://jira.example/browse/" + id,
		"source_kind": "jira", "scope": "jira_project:" + project[len("jira:"):], "project_id": project, "title": "Item " + id,
		"type_category": "story", "status": category, "status_category": category}
	for k, v := range set {
		m[k] = v
	}
	fx.items = append(fx.items, row(fx.t, warehouse.WorkItems, fx.tenant, "jira", 1, m))
	for i, h := range history {
		val := h.toValue
		if val == "" {
			val = h.to
		}
		fx.trans = append(fx.trans, row(fx.t, warehouse.Transitions, fx.tenant, "jira", 1, map[string]any{
			"item_id": "jira:" + id, "transition_id": id + "-" + string(rune('a'+i)), "at": *h.at, "field": "status",
			"from_value": h.from, "to_value": val, "from_category": h.from, "to_category": h.to}))
	}
}

func (fx *fixture) write() {
	t := fx.t
	for _, s := range []string{"jira", "register"} {
		if err := fx.w.ActivateGeneration(ctx, s, warehouse.Generation{Generation: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := fx.w.Insert(ctx, warehouse.WorkItems, fx.items); err != nil {
		t.Fatal(err)
	}
	if err := fx.w.Insert(ctx, warehouse.Transitions, fx.trans); err != nil {
		t.Fatal(err)
	}
}

// Seed builds tenant "acme" with projects jira:A (registered, target 15 April), jira:B
// (items only) and reg:Empty (registered, no items), and a tenant "other" whose data must
// never show.
func Seed(t testing.TB) *warehouse.Warehouse {
	w := whtest.New(t, "acme")
	fx := &fixture{t: t, w: w, tenant: "acme"}
	const A, B = "jira:A", "jira:B"
	// started_at and resolved_at are what the mappings compute at sync time: the first
	// transition into in progress, the resolution (cleared when an item is reopened).
	// A1: done; in progress 2 Feb 09:00 → done 4 Feb 09:00: cycle 2 d, lead 15.375 d.
	fx.item("A1", A, "done", map[string]any{"estimate": f(3), "created_at": Day(1, 20, 0), "started_at": Day(2, 2, 9), "resolved_at": Day(2, 4, 9)},
		tr{Day(2, 2, 9), "todo", "in_progress", ""}, tr{Day(2, 4, 9), "in_progress", "done", ""})
	// A2: done without history: started_at 9 Feb, resolved 13 Feb: cycle 4 d, lead 12 d.
	fx.item("A2", A, "done", map[string]any{"estimate": f(5), "created_at": Day(2, 1, 0), "started_at": Day(2, 9, 0), "resolved_at": Day(2, 13, 0)})
	// A3: reopened after done and still in progress: stale (no update since 16 Feb), no estimate; age 22.5 d.
	fx.item("A3", A, "in_progress", map[string]any{"created_at": Day(2, 3, 0), "updated_at": Day(2, 16, 0), "started_at": Day(2, 10, 0)},
		tr{Day(2, 10, 0), "todo", "in_progress", ""}, tr{Day(2, 12, 0), "in_progress", "done", ""}, tr{Day(2, 16, 0), "done", "in_progress", ""})
	// A4: blocked a day, done, reopened, done again 23 Feb: cycle 7 d (16 → 23 Feb), lead 9 d;
	// active 5 d, waiting 1 d.
	fx.item("A4", A, "done", map[string]any{"estimate": f(2), "created_at": Day(2, 14, 0), "started_at": Day(2, 16, 0), "resolved_at": Day(2, 23, 0)},
		tr{Day(2, 16, 0), "todo", "in_progress", ""}, tr{Day(2, 17, 0), "in_progress", "todo", "Blocked"},
		tr{Day(2, 18, 0), "todo", "in_progress", ""}, tr{Day(2, 19, 0), "in_progress", "done", ""},
		tr{Day(2, 20, 0), "done", "in_progress", ""}, tr{Day(2, 23, 0), "in_progress", "done", ""})
	// A5: cancelled on 20 Feb: out of scope from then on.
	fx.item("A5", A, "cancelled", map[string]any{"estimate": f(8), "created_at": Day(1, 25, 0), "resolved_at": Day(2, 20, 0)})
	// A6: to do, due 28 Feb: overdue; no estimate.
	fx.item("A6", A, "todo", map[string]any{"created_at": Day(2, 1, 0), "due_date": Day(2, 28, 0)})
	// A7: in progress since 1 Mar, updated 3 Mar, due 10 Mar: neither stale nor overdue; age 3.5 d.
	fx.item("A7", A, "in_progress", map[string]any{"estimate": f(1), "created_at": Day(2, 25, 0), "updated_at": Day(3, 3, 0), "started_at": Day(3, 1, 0), "due_date": Day(3, 10, 0)},
		tr{Day(3, 1, 0), "todo", "in_progress", ""})
	// A8: moved from B to A (version 2 wins); done 25 Feb 12:00 after starting 24 Feb 12:00: cycle 1 d, lead 5.5 d.
	fx.item("A8", B, "in_progress", map[string]any{"created_at": Day(2, 20, 0)})
	fx.item("A8", A, "done", map[string]any{"version": uint64(2), "estimate": f(4), "created_at": Day(2, 20, 0), "started_at": Day(2, 24, 12), "resolved_at": Day(2, 25, 12)})
	// M1: a milestone of A due 27 Feb, not done: A is red.
	fx.item("M1", A, "todo", map[string]any{"type_category": "milestone", "due_date": Day(2, 27, 0)})
	// B1: straight from to do to done on 10 Feb: counts in throughput, has no cycle time; lead 7 d.
	fx.item("B1", B, "done", map[string]any{"created_at": Day(2, 3, 0), "resolved_at": Day(2, 10, 0)},
		tr{Day(2, 10, 0), "todo", "done", ""})
	fx.item("B2", B, "todo", map[string]any{"created_at": Day(2, 5, 0)})
	fx.write()

	reg := func(id, name string, target *time.Time) warehouse.Row {
		return row(t, warehouse.Projects, "acme", "register", 1, map[string]any{"project_id": id, "name": name,
			"programme": "Growth", "owner_id": "Ann", "health": "green", "status": "On track", "target_date": target, "source_kind": "sheets"})
	}
	if err := w.Insert(ctx, warehouse.Projects, []warehouse.Row{reg(A, "Apollo", Day(4, 15, 0)), reg("reg:Empty", "Empty", nil)}); err != nil {
		t.Fatal(err)
	}
	runs := []warehouse.SyncRun{
		{RunID: "r1", Source: "jira", StartedAt: *Day(3, 4, 9), FinishedAt: Day(3, 4, 10), Status: "succeeded"},
		{RunID: "r2", Source: "jira", StartedAt: *Day(3, 4, 11), FinishedAt: Day(3, 4, 11), Status: "failed", Error: "HTTP 503"},
		{RunID: "r3", Source: "register", StartedAt: *Day(3, 3, 11), FinishedAt: Day(3, 3, 12), Status: "succeeded"},
	}
	for _, r := range runs {
		if err := w.SaveRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	// Another tenant in the same database, with the same ids: must never leak into acme's numbers.
	other := warehouse.New(w.Backend(), w.Layout(), "other")
	ox := &fixture{t: t, w: other, tenant: "other"}
	ox.item("A9", A, "done", map[string]any{"created_at": Day(2, 1, 0), "started_at": Day(2, 9, 0), "resolved_at": Day(2, 11, 0)},
		tr{Day(2, 9, 0), "todo", "in_progress", ""})
	ox.item("A10", A, "in_progress", map[string]any{"created_at": Day(1, 1, 0), "updated_at": Day(1, 2, 0), "due_date": Day(1, 3, 0)})
	ox.write()
	if err := other.SaveRun(ctx, warehouse.SyncRun{RunID: "o1", Source: "jira", StartedAt: *Day(3, 4, 11), FinishedAt: Day(3, 4, 12), Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	// the readers read the snapshots, which the engine rebuilds after every sync run
	if err := w.RefreshSnapshots(ctx); err != nil {
		t.Fatal(err)
	}
	if err := metrics.Install(ctx, w); err != nil {
		t.Fatal(err)
	}
	return w
}

// Reader reads the fixture at Now with four sample weeks.
func Reader(w *warehouse.Warehouse) *metrics.Reader {
	return metrics.NewReader(w, metrics.Options{SampleWeeks: 4, Now: func() time.Time { return Now }})
}

// Period is the four full weeks 2 Feb – 1 Mar.
var Period = metrics.Query{From: *Day(2, 2, 0), To: *Day(3, 2, 0)}

// Reopen writes a transition of tenant acme's item id from done back to in progress, as a
// sync would; the snapshots show it after w.RefreshSnapshots.
func Reopen(t testing.TB, w *warehouse.Warehouse, id string, at time.Time) {
	t.Helper()
	r := row(t, warehouse.Transitions, "acme", "jira", 3, map[string]any{"item_id": "jira:" + id, "transition_id": id + "-reopen",
		"at": at, "field": "status", "from_value": "done", "to_value": "in_progress", "from_category": "done", "to_category": "in_progress"})
	if err := w.Insert(ctx, warehouse.Transitions, []warehouse.Row{r}); err != nil {
		t.Fatal(err)
	}
}
