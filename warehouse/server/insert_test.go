package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/pmohub/pmohub/warehouse"
)

func ptr[T any](v T) *T { return &v }

// sampleWorkItems returns two rows of work_items storage: one fully filled, one with every
// nullable NULL (typed nil pointers) and nil lists and maps.
func sampleWorkItems() []warehouse.Row {
	cols := warehouse.WorkItems.AllColumns()
	created := time.Date(2024, 3, 4, 5, 6, 7, 891_000_000, time.UTC)
	due := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	full := map[string]any{
		"tenant": "default", "source": "jira-main", "generation": uint32(2),
		"item_id": "jira-main:10001", "source_kind": "jira", "native_id": "10001", "key": "ALPHA-1",
		"url": "https://acme.atlassian.net/browse/ALPHA-1", "scope": "jira_project:ALPHA", "project_id": "p1",
		"title": "Café 'quoted' \"double\"\ttab\nline", "item_type": "Story", "type_category": "story",
		"status": "In Progress", "status_category": "in_progress", "priority": "High",
		"assignee_id": "jira-main:u1", "reporter_id": "jira-main:u2", "parent_id": "jira-main:10000",
		"labels": []string{"a", "b'c"}, "sprint": "S1", "estimate": ptr(3.5),
		"created_at": &created, "updated_at": &created, "started_at": &created, "resolved_at": (*time.Time)(nil),
		"due_date": &due, "start_date": (*time.Time)(nil), "attributes": map[string]string{"team": "Blue", "x": ""},
		"raw_ref": "issues/10001", "version": uint64(1709528767891), "is_deleted": uint8(0), "synced_at": created,
	}
	empty := map[string]any{}
	for k, v := range full {
		empty[k] = v
	}
	for _, k := range []string{"estimate", "created_at", "updated_at", "started_at", "due_date"} {
		empty[k] = nil
	}
	empty["item_id"], empty["labels"], empty["attributes"], empty["estimate"] = "jira-main:10002", []string(nil), map[string]string(nil), (*float64)(nil)
	var rows []warehouse.Row
	for _, m := range []map[string]any{full, empty} {
		row := make(warehouse.Row, len(cols))
		for i, c := range cols {
			v, ok := m[c.Name]
			if !ok {
				panic("sample misses " + c.Name)
			}
			row[i] = v
		}
		rows = append(rows, row)
	}
	return rows
}

// nativeInsert builds the block a clickhouse-go batch would send for these rows and
// inserts it into the engine as Native data.
func nativeInsert(t *testing.T, table string, cols []warehouse.Column, rows []warehouse.Row) {
	t.Helper()
	conv, err := converters(cols)
	if err != nil {
		t.Fatal(err)
	}
	blk := newBlock(t, cols)
	if err := appendRows(blk, table, cols, conv, rows, 0); err != nil {
		t.Fatal(err)
	}
	var buf chproto.Buffer
	if err := blk.Encode(&buf, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := needEngine(t).Query("INSERT INTO "+table+" FORMAT Native\n"+string(buf.Buf), ""); err != nil {
		t.Fatalf("engine rejected the block: %v", err)
	}
}

// newBlock is the block a batch prepares for an INSERT into these columns.
func newBlock(t testing.TB, cols []warehouse.Column) *proto.Block {
	blk := &proto.Block{ServerContext: &column.ServerContext{Timezone: time.UTC}}
	for _, c := range cols {
		if err := blk.AddColumn(c.Name, column.Type(c.Type)); err != nil {
			t.Fatal(err)
		}
	}
	return blk
}

func createTable(t *testing.T, table string, cols []warehouse.Column) {
	t.Helper()
	e := needEngine(t)
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = quoteIdent(c.Name) + " " + c.Type
	}
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS ins",
		"DROP TABLE IF EXISTS " + table,
		fmt.Sprintf("CREATE TABLE %s (%s) ENGINE = MergeTree ORDER BY tuple()", table, strings.Join(defs, ", ")),
	} {
		if _, err := e.Query(q, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInsertRowsReachClickHouse(t *testing.T) {
	e := needEngine(t)
	cols := warehouse.WorkItems.AllColumns()
	createTable(t, "ins.work_items_versions", cols)
	nativeInsert(t, "ins.work_items_versions", cols, sampleWorkItems())

	out, err := e.Query("SELECT * FROM ins.work_items_versions ORDER BY item_id", "JSONEachRow")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 rows, got %q", out)
	}
	var full, empty map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &full); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &empty); err != nil {
		t.Fatal(err)
	}
	checks := map[string]any{
		"title":       "Café 'quoted' \"double\"\ttab\nline",
		"estimate":    3.5,
		"created_at":  "2024-03-04 05:06:07.891",
		"resolved_at": nil,
		"due_date":    "2024-06-30",
		"start_date":  nil,
		"generation":  2.0,
		"version":     1709528767891.0,
		"synced_at":   "2024-03-04 05:06:07.891",
		"labels":      []any{"a", "b'c"},
		"attributes":  map[string]any{"team": "Blue", "x": ""},
	}
	for k, want := range checks {
		if got := fmt.Sprint(full[k]); got != fmt.Sprint(want) {
			t.Errorf("full row %s = %v, want %v", k, full[k], want)
		}
	}
	for k, want := range map[string]any{"estimate": nil, "created_at": nil, "due_date": nil, "labels": []any{}, "attributes": map[string]any{}} {
		if got := fmt.Sprint(empty[k]); got != fmt.Sprint(want) {
			t.Errorf("empty row %s = %v, want %v", k, empty[k], want)
		}
	}
}

func TestInsertEveryCanonicalTable(t *testing.T) {
	needEngine(t)
	for _, tbl := range warehouse.Canonical {
		cols := tbl.AllColumns()
		name := "ins." + tbl.Storage()
		createTable(t, name, cols)
		row := make(warehouse.Row, len(cols))
		for i, c := range cols {
			row[i] = zeroFor(t, c.Type)
		}
		nativeInsert(t, name, cols, []warehouse.Row{row, row})
		out, err := needEngine(t).Query("SELECT count() FROM "+name, "TSV")
		if err != nil || strings.TrimSpace(string(out)) != "2" {
			t.Fatalf("%s: count %q, %v", name, out, err)
		}
	}
}

// zeroFor gives a value of the documented Go type for a schema column type.
func zeroFor(t *testing.T, typ string) any {
	switch typ {
	case "String", "LowCardinality(String)":
		return "x"
	case "DateTime64(3, 'UTC')":
		return time.Unix(1700000000, 0).UTC()
	case "Nullable(DateTime64(3, 'UTC'))", "Nullable(Date32)":
		return (*time.Time)(nil)
	case "Nullable(Float64)":
		return ptr(1.0)
	case "Array(String)":
		return []string{"a"}
	case "Map(String, String)":
		return map[string]string{"k": "v"}
	case "UInt8":
		return uint8(1)
	case "UInt32":
		return uint32(1)
	case "UInt64":
		return uint64(1)
	}
	t.Fatalf("schema type %q has no documented Go type here", typ)
	return nil
}
