package warehouse_test

import (
	"testing"

	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

// TestRowHash: every canonical table stores row_hash of the current definition, and the
// migration that adds it to an older warehouse hashes the rows written before it too.
func TestRowHash(t *testing.T) {
	w := whtest.New(t, "default")
	for _, tbl := range warehouse.Canonical {
		if ok, err := w.RowHashStored(ctx, tbl); err != nil || !ok {
			t.Fatalf("%s: row_hash stored %v, err %v", tbl.Name, ok, err)
		}
	}
	st := w.Layout().Q(warehouse.WorkItems.Storage())
	// a warehouse from before migration 6: no row_hash, one part written without it
	if err := w.Insert(ctx, warehouse.WorkItems, []warehouse.Row{item(t, "jira", 1, "1", 1, false, map[string]any{"title": "Old", "attributes": map[string]string{"b": "2", "a": "1"}})}); err != nil {
		t.Fatal(err)
	}
	if err := w.Exec(ctx, "ALTER TABLE "+st+" DROP COLUMN row_hash"); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.RowHashStored(ctx, warehouse.WorkItems); err != nil || ok {
		t.Fatalf("row_hash stored %v after its column was dropped (err %v)", ok, err)
	}
	if err := w.Insert(ctx, warehouse.WorkItems, []warehouse.Row{item(t, "jira", 1, "2", 1, false, map[string]any{"title": "Older"})}); err != nil {
		t.Fatal(err)
	}
	var m6 *warehouse.Migration
	for i := range warehouse.Migrations {
		if warehouse.Migrations[i].ID == 6 {
			m6 = &warehouse.Migrations[i]
		}
	}
	for _, s := range m6.Statements(w.Layout()) {
		if err := w.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := w.RowHashStored(ctx, warehouse.WorkItems); err != nil || !ok {
		t.Fatalf("row_hash stored %v after migration 6 (err %v)", ok, err)
	}
	if err := w.Insert(ctx, warehouse.WorkItems, []warehouse.Row{item(t, "jira", 1, "3", 1, false, map[string]any{"title": "New", "attributes": map[string]string{"a": "1", "b": "2"}})}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		var r []struct {
			N     uint64 `json:"n"`
			Wrong uint64 `json:"wrong"`
			Same  uint64 `json:"same"`
		}
		q := "SELECT count() AS n, countIf(row_hash != " + warehouse.RowHashExpr(warehouse.WorkItems) + ") AS wrong, " +
			"uniqExactIf(row_hash, item_id IN ('jira:1', 'jira:3')) AS same FROM " + st
		if err := w.QueryInto(ctx, q, &r); err != nil {
			t.Fatal(err)
		}
		if r[0].N != 3 || r[0].Wrong != 0 {
			t.Fatalf("%s: %d rows, %d with a wrong row_hash", when, r[0].N, r[0].Wrong)
		}
		if r[0].Same != 2 { // different titles: different hashes, whatever the maps' order
			t.Fatalf("%s: rows 1 and 3 share a hash", when)
		}
	}
	check("parts of both ages")
	if err := w.Exec(ctx, "OPTIMIZE TABLE "+st+" FINAL"); err != nil {
		t.Fatal(err)
	}
	check("merged")
	// a definition that is not the code's is never trusted
	if err := w.Exec(ctx, "ALTER TABLE "+st+" COMMENT COLUMN row_hash 'xxHash64(formatRow(''RowBinary'', title))'"); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.RowHashStored(ctx, warehouse.WorkItems); err != nil || ok {
		t.Fatalf("row_hash of another definition trusted (err %v)", err)
	}
}
