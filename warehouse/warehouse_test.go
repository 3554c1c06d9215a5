package warehouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

var ctx = context.Background()

// item builds a work_items storage row with the given fields.
func item(t *testing.T, source string, gen uint32, id string, version uint64, deleted bool, set map[string]any) warehouse.Row {
	t.Helper()
	tbl := warehouse.WorkItems
	cols := tbl.AllColumns()
	row := make(warehouse.Row, len(cols))
	for i, c := range cols {
		switch {
		case strings.HasPrefix(c.Type, "Array"):
			row[i] = []string{}
		case strings.HasPrefix(c.Type, "Map"):
			row[i] = map[string]string{}
		case strings.HasPrefix(c.Type, "Nullable"):
			row[i] = nil
		case c.Type == "String" || strings.HasPrefix(c.Type, "LowCardinality"):
			row[i] = ""
		}
	}
	set2 := map[string]any{"tenant": "default", "source": source, "generation": gen, "item_id": source + ":" + id,
		"native_id": id, "raw_ref": "issues/" + id, "version": version, "is_deleted": uint8(0), "synced_at": time.Now()}
	if deleted {
		set2["is_deleted"] = uint8(1)
	}
	for k, v := range set {
		set2[k] = v
	}
	for k, v := range set2 {
		i := tbl.ColumnIndex(k)
		if i < 0 {
			t.Fatalf("no column %s", k)
		}
		row[i] = v
	}
	return row
}

func TestMigrateIsIdempotentAndMatchesDefinitions(t *testing.T) {
	w := whtest.New(t, "default")
	ran, err := w.Migrate(ctx)
	if err != nil || len(ran) != 0 {
		t.Fatalf("second migrate: ran %v, err %v", ran, err)
	}
	for _, tbl := range append(append([]*warehouse.Table{}, warehouse.Canonical...), warehouse.Bookkeeping...) {
		var cols []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		}
		// row_hash (MATERIALIZED) is checked by TestRowHash
		q := "SELECT name, type FROM system.columns WHERE database = " + warehouse.Lit(w.Layout().Database) + " AND table = " + warehouse.Lit(tbl.Storage()) + " AND default_kind != 'MATERIALIZED' ORDER BY position"
		if err := w.QueryInto(ctx, q, &cols); err != nil {
			t.Fatal(err)
		}
		want := tbl.Columns
		if tbl.Canonical {
			want = tbl.AllColumns()
		}
		if len(cols) != len(want) {
			t.Fatalf("%s: %d columns in the warehouse, %d defined", tbl.Name, len(cols), len(want))
		}
		for i, c := range want {
			if cols[i].Name != c.Name {
				t.Fatalf("%s column %d: %s in warehouse, %s defined", tbl.Name, i, cols[i].Name, c.Name)
			}
		}
		if tbl.Canonical || tbl == warehouse.RawRecords {
			if !hasColumn(t, w, tbl.Name, "tenant") {
				t.Fatalf("view %s lacks tenant", tbl.Name)
			}
		}
	}
}

func hasColumn(t *testing.T, w *warehouse.Warehouse, table, col string) bool {
	var n []struct {
		C uint64 `json:"c"`
	}
	q := "SELECT count() AS c FROM system.columns WHERE database = " + warehouse.Lit(w.Layout().Database) + " AND table = " + warehouse.Lit(table) + " AND name = " + warehouse.Lit(col)
	if err := w.QueryInto(ctx, q, &n); err != nil {
		t.Fatal(err)
	}
	return n[0].C == 1
}

type wi struct {
	ItemID    string   `json:"item_id"`
	Title     string   `json:"title"`
	ProjectID string   `json:"project_id"`
	Estimate  *float64 `json:"estimate"`
	Labels    []string `json:"labels"`
}

// items reads the analysts' view after a snapshot refresh, as a sync run ends with.
func items(t *testing.T, w *warehouse.Warehouse) []wi {
	t.Helper()
	if err := w.RefreshSnapshots(ctx); err != nil {
		t.Fatal(err)
	}
	var out []wi
	if err := w.QueryInto(ctx, "SELECT item_id, title, project_id, estimate, labels FROM "+w.Layout().Q("work_items")+" ORDER BY item_id", &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCurrentStateVersionsTombstonesAndGenerations(t *testing.T) {
	w := whtest.New(t, "default")
	if err := w.ActivateGeneration(ctx, "jira", warehouse.Generation{Generation: 1}); err != nil {
		t.Fatal(err)
	}
	weird := "Ünïcødé 🚀 \"quoted\" back\\slash\nnew line'; DROP TABLE work_items; --"
	est := 3.5
	rows := []warehouse.Row{
		item(t, "jira", 1, "1", 10, false, map[string]any{"title": "old"}),
		item(t, "jira", 1, "1", 20, false, map[string]any{"title": weird, "estimate": &est, "labels": []string{"a", "b"}}),
		item(t, "jira", 1, "2", 10, false, map[string]any{"title": "to delete"}),
		item(t, "jira", 1, "2", 11, true, nil),
		item(t, "jira", 1, "3", 30, false, map[string]any{"title": "newer"}),
	}
	if err := w.Insert(ctx, warehouse.WorkItems, rows); err != nil {
		t.Fatal(err)
	}
	// a late re-read of old data must not win
	if err := w.Insert(ctx, warehouse.WorkItems, []warehouse.Row{item(t, "jira", 1, "3", 5, false, map[string]any{"title": "stale"})}); err != nil {
		t.Fatal(err)
	}
	got := items(t, w)
	if len(got) != 2 || got[0].Title != weird || got[1].Title != "newer" || *got[0].Estimate != 3.5 || len(got[0].Labels) != 2 {
		t.Fatalf("current state: %+v", got)
	}
	// rows of another generation are invisible until it is activated
	if err := w.Insert(ctx, warehouse.WorkItems, []warehouse.Row{item(t, "jira", 2, "1", 20, false, map[string]any{"title": "remapped"})}); err != nil {
		t.Fatal(err)
	}
	if got := items(t, w); len(got) != 2 || got[0].Title != weird {
		t.Fatalf("generation 2 leaked before activation: %+v", got)
	}
	if err := w.ActivateGeneration(ctx, "jira", warehouse.Generation{Generation: 2}); err != nil {
		t.Fatal(err)
	}
	if got := items(t, w); len(got) != 1 || got[0].Title != "remapped" {
		t.Fatalf("after activation: %+v", got)
	}
}

func TestTenantsNeverMix(t *testing.T) {
	a := whtest.New(t, "acme")
	b := warehouse.New(a.Backend(), a.Layout(), "globex")
	for _, w := range []*warehouse.Warehouse{a, b} {
		if err := w.WriteRaw(ctx, []warehouse.RawRecord{{Source: "jira", Stream: "issues", NativeID: "1", Version: 1, Payload: []byte(`{"t":"` + w.Tenant() + `"}`), FetchedAt: time.Now()}}); err != nil {
			t.Fatal(err)
		}
		if err := w.SaveCursor(ctx, "jira", "issues", json.RawMessage(`{"t":"`+w.Tenant()+`"}`), "r1"); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []*warehouse.Warehouse{a, b} {
		var got []string
		if err := w.RawRecords(ctx, "jira", "issues", nil, func(r warehouse.StoredRaw) error { got = append(got, r.Text); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !strings.Contains(got[0], w.Tenant()) {
			t.Fatalf("tenant %s reads %v", w.Tenant(), got)
		}
		cur, err := w.Cursors(ctx, "jira")
		if err != nil || !strings.Contains(string(cur["issues"]), w.Tenant()) {
			t.Fatalf("tenant %s cursor %s %v", w.Tenant(), cur["issues"], err)
		}
	}
}

func TestProjectResolvedThroughRegisterMembers(t *testing.T) {
	w := whtest.New(t, "default")
	for _, s := range []string{"jira", "register"} {
		if err := w.ActivateGeneration(ctx, s, warehouse.Generation{Generation: 1}); err != nil {
			t.Fatal(err)
		}
	}
	rows := []warehouse.Row{
		item(t, "jira", 1, "1", 1, false, map[string]any{"scope": "jira_project:ALPHA", "project_id": "jira:ALPHA"}),
		item(t, "jira", 1, "2", 1, false, map[string]any{"scope": "jira_project:BETA", "project_id": "jira:BETA"}),
	}
	if err := w.Insert(ctx, warehouse.WorkItems, rows); err != nil {
		t.Fatal(err)
	}
	member := func(source, project, ref string) warehouse.Row {
		return warehouse.Row{"default", source, uint32(1), project, "jira_project", ref, "r/" + ref, uint64(1), uint8(0), time.Now()}
	}
	if err := w.Insert(ctx, warehouse.ProjectMembers, []warehouse.Row{member("jira", "jira:ALPHA", "ALPHA"), member("register", "register:P-1", "ALPHA")}); err != nil {
		t.Fatal(err)
	}
	got := items(t, w)
	if got[0].ProjectID != "register:P-1" || got[1].ProjectID != "jira:BETA" {
		t.Fatalf("project resolution: %+v", got)
	}
}

func TestSnapshotsFollowTheViewsAfterRefresh(t *testing.T) {
	w := whtest.New(t, "default")
	if err := w.ActivateGeneration(ctx, "jira", warehouse.Generation{Generation: 1}); err != nil {
		t.Fatal(err)
	}
	snap := func() []wi {
		var out []wi
		if err := w.QueryInto(ctx, "SELECT item_id, title, project_id, estimate, labels FROM "+w.Layout().Snapshot(warehouse.WorkItems)+" ORDER BY item_id", &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := snap(); len(got) != 0 {
		t.Fatalf("fresh snapshot: %+v", got)
	}
	rows := []warehouse.Row{item(t, "jira", 1, "1", 1, false, map[string]any{"title": "a"}), item(t, "jira", 1, "2", 1, false, map[string]any{"title": "b"})}
	if err := w.Insert(ctx, warehouse.WorkItems, rows); err != nil {
		t.Fatal(err)
	}
	if err := w.RefreshSnapshots(ctx); err != nil {
		t.Fatal(err)
	}
	if got := snap(); len(got) != 2 || got[1].Title != "b" {
		t.Fatalf("after refresh: %+v", got)
	}
	if err := w.Insert(ctx, warehouse.WorkItems, []warehouse.Row{item(t, "jira", 1, "2", 2, true, nil)}); err != nil {
		t.Fatal(err)
	}
	if err := w.RefreshSnapshots(ctx); err != nil {
		t.Fatal(err)
	}
	if got := snap(); len(got) != 1 || got[0].ItemID != "jira:1" {
		t.Fatalf("after a deletion: %+v", got)
	}
}

// TestRawRecordsByManyLongIDs: a lookup of 20,000 long ids is split so that no query text
// passes ClickHouse's max_query_size.
func TestRawRecordsByManyLongIDs(t *testing.T) {
	w := whtest.New(t, "default")
	const n = 20_000
	recs := make([]warehouse.RawRecord, 0, n)
	ids := make([]string, 0, n)
	for i := range n {
		id := fmt.Sprintf("spreadsheet-1PMOportfolioDEMO/row-%06d", i)
		ids = append(ids, id)
		if i%2 == 0 { // half were never stored
			recs = append(recs, warehouse.RawRecord{Source: "s", Stream: "rows", NativeID: id, Version: 1, Payload: []byte(`{}`), FetchedAt: time.Now()})
		}
	}
	if err := w.WriteRaw(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got := 0
	if err := w.RawRecords(ctx, "s", "rows", ids, func(warehouse.StoredRaw) error { got++; return nil }); err != nil {
		t.Fatal(err)
	}
	if got != n/2 {
		t.Fatalf("read %d stored records, want %d", got, n/2)
	}
}

// TestRawRecordsPagesInOrder reads a stream of several pages (the next read while the last
// is taken): every record once, in native_id order, the newest version of each; and a
// reader that stops early gets its error and leaves the engine free.
func TestRawRecordsPagesInOrder(t *testing.T) {
	w := whtest.New(t, "default")
	const n = 47_000
	var recs []warehouse.RawRecord
	for i := range n {
		recs = append(recs, warehouse.RawRecord{Source: "s", Stream: "rows", NativeID: fmt.Sprintf("r%d", i), Version: 1, Payload: []byte(`{"v":1}`), FetchedAt: time.Now()})
	}
	if err := w.WriteRaw(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// a second part, with newer versions of some records
	recs = recs[:0]
	for i := 0; i < n; i += 7 {
		recs = append(recs, warehouse.RawRecord{Source: "s", Stream: "rows", NativeID: fmt.Sprintf("r%d", i), Version: 2, Payload: []byte(`{"v":2}`), FetchedAt: time.Now()})
	}
	if err := w.WriteRaw(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// tombstones: newest (the record is gone), older than a live version (it is back)
	recs = recs[:0]
	for i := 3; i < n; i += 1000 {
		recs = append(recs, warehouse.RawRecord{Source: "s", Stream: "rows", NativeID: fmt.Sprintf("r%d", i), Version: 3, Deleted: true, FetchedAt: time.Now()})
	}
	recs = append(recs, warehouse.RawRecord{Source: "s", Stream: "rows", NativeID: "r5", Version: 0, Deleted: true, FetchedAt: time.Now()})
	if err := w.WriteRaw(ctx, recs); err != nil {
		t.Fatal(err)
	}
	gone := len(recs) - 1
	prev, got, newer := "", 0, 0
	err := w.RawRecords(ctx, "s", "rows", nil, func(r warehouse.StoredRaw) error {
		if r.NativeID <= prev {
			return fmt.Errorf("%s after %s", r.NativeID, prev)
		}
		prev = r.NativeID
		got++
		if string(r.Payload) == `{"v":2}` {
			newer++
		}
		return nil
	})
	// gone: r3, r1003, …; of those, r7003 and others divisible by 7 had version 2
	wantNewer := 0
	for i := 0; i < n; i += 7 {
		if i%1000 != 3 {
			wantNewer++
		}
	}
	if err != nil || got != n-gone || newer != wantNewer {
		t.Fatalf("read %d records (%d newer), want %d (%d); err %v", got, newer, n-gone, wantNewer, err)
	}
	if got := rawFinal(t, w); got != n-gone {
		t.Fatalf("FINAL reads %d records, pages %d", got, n-gone)
	}
	// two rows of one record with one version: the page is read with FINAL, which keeps one
	if err := w.WriteRaw(ctx, []warehouse.RawRecord{{Source: "s", Stream: "rows", NativeID: "r10", Version: 1, Payload: []byte(`{"v":"tie"}`), FetchedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	got, ties := 0, 0
	err = w.RawRecords(ctx, "s", "rows", nil, func(r warehouse.StoredRaw) error {
		got++
		if r.NativeID == "r10" && string(r.Payload) == `{"v":"tie"}` { // the last inserted, as FINAL keeps
			ties++
		}
		return nil
	})
	if err != nil || got != n-gone || ties != 1 {
		t.Fatalf("with a tie: %d records, r10 %d times; err %v", got, ties, err)
	}
	stop := errors.New("enough")
	got = 0
	err = w.RawRecords(ctx, "s", "rows", nil, func(warehouse.StoredRaw) error {
		if got++; got == 6000 { // in the second page, while the third is read
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || got != 6000 {
		t.Fatalf("stopped after %d records with %v", got, err)
	}
	if _, err := w.Query(ctx, "SELECT 1", "TSV"); err != nil {
		t.Fatal(err)
	}
}

func rawFinal(t *testing.T, w *warehouse.Warehouse) int {
	var r []struct {
		N int `json:"n"`
	}
	q := "SELECT count() AS n FROM " + w.Layout().Q(warehouse.RawRecords.Storage()) + " FINAL WHERE source = 's' AND stream = 'rows' AND is_deleted = 0"
	if err := w.QueryInto(ctx, q, &r); err != nil {
		t.Fatal(err)
	}
	return r[0].N
}
