package sync_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

var ctx = context.Background()

func newSource(t testing.TB, name string, conn connectors.Connector, mapping string) *pmosync.Source {
	t.Helper()
	m, err := mappings.Parse(name+".yaml", []byte(mapping), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &pmosync.Source{
		Config:      connectors.SourceConfig{Name: name, Kind: "test", URL: "http://test", Auth: connectors.Auth{"token": "sekrit-token-1"}},
		Connector:   conn,
		Mapping:     m,
		MappingText: []byte(mapping),
	}
}

// seed fills a source with a few items with history.
func seed(s *testSource) {
	for i := 1; i <= 8; i++ {
		s.put(fmt.Sprintf("%d", i), testItem{Key: fmt.Sprintf("T-%d", i), Title: fmt.Sprintf("Item %d", i), Status: "Open", Project: "P", Labels: []string{"a"}})
	}
	s.put("2", testItem{Key: "T-2", Title: "Item 2", Status: "Doing", Project: "P", Labels: []string{"a"}})
	s.put("3", testItem{Key: "T-3", Title: "Item 3", Status: "Doing", Project: "P"})
	s.put("3", testItem{Key: "T-3", Title: "Item 3", Status: "Done", Project: "P"})
}

// change applies updates, a creation and a deletion.
func change(s *testSource) {
	s.put("1", testItem{Key: "T-1", Title: "Item 1 — renamed \"quoted\" \\ 🚀\n'; DROP TABLE x; --", Status: "Doing", Project: "P", Labels: []string{"b", "c"}})
	s.put("9", testItem{Key: "T-9", Title: "Item 9", Status: "Open", Project: "Q"})
	s.remove("4")
	s.put("2", testItem{Key: "T-2", Title: "Item 2", Status: "Done", Project: "P", Labels: []string{"a"}})
}

type state struct {
	Items       []map[string]any
	Transitions []map[string]any
}

func snapshot(t testing.TB, w *warehouse.Warehouse) state {
	t.Helper()
	var st state
	q := func(sql string, out *[]map[string]any) {
		if err := w.QueryInto(ctx, sql, out); err != nil {
			t.Fatal(err)
		}
	}
	db := w.Layout().Database
	q("SELECT item_id, key, title, status, status_category, labels, project_id, toString(started_at) AS started FROM "+db+".work_items ORDER BY item_id", &st.Items)
	q("SELECT item_id, transition_id, to_value, to_category FROM "+db+".transitions ORDER BY item_id, transition_id", &st.Transitions)
	// what analysts read never holds duplicates
	for _, c := range []struct{ table, key string }{{"work_items", "item_id"}, {"transitions", "item_id, transition_id"}} {
		var n []struct {
			All      uint64 `json:"all"`
			Distinct uint64 `json:"distinct"`
		}
		q2 := fmt.Sprintf("SELECT count() AS all, uniqExact(%s) AS distinct FROM %s.%s", c.key, db, c.table)
		if err := w.QueryInto(ctx, q2, &n); err != nil {
			t.Fatal(err)
		}
		if n[0].All != n[0].Distinct {
			t.Fatalf("%s has duplicates: %d rows, %d keys", c.table, n[0].All, n[0].Distinct)
		}
	}
	return st
}

func TestFullThenIncrementalSync(t *testing.T) {
	w := whtest.New(t, "default")
	src := newTestSource()
	seed(src)
	eng := &pmosync.Engine{WH: w}
	s := newSource(t, "tst", src, testMapping)
	run, err := eng.Sync(ctx, s, pmosync.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != "succeeded" || run.RecordsRead != 8 {
		t.Fatalf("first run: %+v", run)
	}
	st := snapshot(t, w)
	if len(st.Items) != 8 || st.Items[2]["status_category"] != "done" || st.Items[1]["status_category"] != "in_progress" {
		t.Fatalf("items after full sync: %+v", st.Items)
	}
	if len(st.Transitions) != 3 {
		t.Fatalf("transitions: %+v", st.Transitions)
	}
	if st.Items[1]["started"] == nil || st.Items[0]["started"] != nil {
		t.Fatalf("started_at from the first transition into in_progress: %+v", st.Items[:2])
	}

	change(src)
	run, err = eng.Sync(ctx, s, pmosync.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if run.RecordsRead != 3 || run.RecordsDeleted != 1 {
		t.Fatalf("incremental run read only the changes: %+v", run)
	}
	st = snapshot(t, w)
	byID := map[string]map[string]any{}
	for _, it := range st.Items {
		byID[it["item_id"].(string)] = it
	}
	if len(st.Items) != 8 || byID["tst:4"] != nil || byID["tst:9"] == nil {
		t.Fatalf("creation and deletion: %+v", st.Items)
	}
	if got := byID["tst:1"]; !strings.Contains(got["title"].(string), "🚀\n'; DROP") || !reflect.DeepEqual(got["labels"], []any{"b", "c"}) {
		t.Fatalf("update stored verbatim: %+v", got)
	}
	if byID["tst:2"]["status_category"] != "done" {
		t.Fatalf("status update: %+v", byID["tst:2"])
	}

	// nothing changed: nothing read, nothing written
	run, err = eng.Sync(ctx, s, pmosync.Options{})
	if err != nil || run.RecordsRead != 0 || run.RecordsWritten != 0 {
		t.Fatalf("unchanged run: %+v %v", run, err)
	}
	var runs []warehouse.SyncRun
	if err := w.QueryInto(ctx, "SELECT * FROM "+w.Layout().Database+".sync_runs WHERE source = 'tst' ORDER BY started_at", &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].Status != "succeeded" || runs[0].FinishedAt == nil {
		t.Fatalf("sync_runs: %+v", runs)
	}
}

// TestCrashAtEveryStepLosesNothing injects a failure at every commit step of a run, reruns,
// and checks the warehouse equals that of an uninterrupted run.
func TestCrashAtEveryStepLosesNothing(t *testing.T) {
	clean := whtest.New(t, "default")
	ref := newTestSource()
	seed(ref)
	eng := &pmosync.Engine{WH: clean}
	s := newSource(t, "tst", ref, testMapping)
	mustSync(t, eng, s)
	change(ref)
	mustSync(t, eng, s)
	want := snapshot(t, clean)

	for _, step := range []string{"canonical", "raw", "cursor"} {
		for nth := 1; nth <= 4; nth++ {
			t.Run(fmt.Sprintf("%s#%d", step, nth), func(t *testing.T) {
				w := whtest.New(t, "default")
				src := newTestSource()
				seed(src)
				src.pageSize = 2
				s := newSource(t, "tst", src, testMapping)
				seen, crashed := 0, 0
				crashy := &pmosync.Engine{WH: w, BatchRecords: 2, FailPoint: func(at string) error {
					if at == step {
						seen++
						if seen == nth {
							crashed++
							return errInjected
						}
					}
					return nil
				}}
				// crash in the first sync, rerun; crash in the incremental, rerun
				_, _ = crashy.Sync(ctx, s, pmosync.Options{})
				mustSync(t, &pmosync.Engine{WH: w}, s)
				change(src)
				seen = 0
				_, _ = crashy.Sync(ctx, s, pmosync.Options{})
				mustSync(t, &pmosync.Engine{WH: w}, s)
				if crashed == 0 {
					t.Fatalf("the fail point %s #%d never fired", step, nth)
				}
				if got := snapshot(t, w); !reflect.DeepEqual(got, want) {
					t.Fatalf("after a crash at %s #%d:\n got %+v\nwant %+v", step, nth, got, want)
				}
			})
		}
	}
}

func mustSync(t testing.TB, eng *pmosync.Engine, s *pmosync.Source) warehouse.SyncRun {
	t.Helper()
	run, err := eng.Sync(ctx, s, pmosync.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestOneFailingSourceNeverBlocksOthers(t *testing.T) {
	w := whtest.New(t, "default")
	good, bad := newTestSource(), newTestSource()
	seed(good)
	bad.fail = errors.New("token sekrit-token-1 revoked")
	eng := &pmosync.Engine{WH: w}
	res := eng.SyncAll(ctx, []*pmosync.Source{newSource(t, "bad", bad, testMapping), newSource(t, "good", good, testMapping)}, pmosync.Options{})
	if res[0].Err == nil || res[0].Run.Status != "failed" || res[1].Err != nil || res[1].Run.RecordsRead != 8 {
		t.Fatalf("results: %+v", res)
	}
	if strings.Contains(res[0].Run.Error, "sekrit") || !strings.Contains(res[0].Run.Error, "source test: GET /items: HTTP 401") {
		t.Fatalf("error must name source, endpoint, status and hide the secret: %q", res[0].Run.Error)
	}
}

func TestMappingChangeRemapsFromRawWithoutCallingTheSource(t *testing.T) {
	w := whtest.New(t, "default")
	src := newTestSource()
	seed(src)
	eng := &pmosync.Engine{WH: w}
	mustSync(t, eng, newSource(t, "tst", src, testMapping))
	calls := src.calls
	changed := strings.Replace(testMapping, "Doing: in_progress", "Doing: todo", 2)
	res, err := eng.Remap(ctx, newSource(t, "tst", src, changed))
	if err != nil {
		t.Fatal(err)
	}
	if src.calls != calls || res.Records != 8 || res.Generation != 2 {
		t.Fatalf("remap: %+v, source calls %d -> %d", res, calls, src.calls)
	}
	st := snapshot(t, w)
	if len(st.Items) != 8 || st.Items[1]["status_category"] != "todo" {
		t.Fatalf("remapped items: %+v", st.Items)
	}
	// a sync with the changed mapping keeps the new generation
	mustSync(t, eng, newSource(t, "tst", src, changed))
	if g, _, _ := w.ActiveGeneration(ctx, "tst"); g.Generation != 2 {
		t.Fatalf("generation %d", g.Generation)
	}
}

func TestTransientWarehouseErrorsAreRetried(t *testing.T) {
	w := whtest.New(t, "default")
	src := newTestSource()
	seed(src)
	failures := 0
	eng := &pmosync.Engine{WH: w, FailPoint: func(step string) error {
		if step == "raw" && failures < 1 {
			failures++
			return &warehouse.QueryError{Code: 252, Message: "Code: 252. DB::Exception: Too many parts. (TOO_MANY_PARTS)"}
		}
		return nil
	}}
	run, err := eng.Sync(ctx, newSource(t, "tst", src, testMapping), pmosync.Options{})
	if err != nil || run.Status != "succeeded" || failures != 1 || len(snapshot(t, w).Items) != 8 {
		t.Fatalf("run %+v, err %v, failures %d", run, err, failures)
	}
}
