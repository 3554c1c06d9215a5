package server

import (
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse"
)

type captured struct{ rows [][]any }

func (c *captured) Append(v ...any) error {
	c.rows = append(c.rows, append([]any(nil), v...))
	return nil
}

func TestConvertDocumentedTypes(t *testing.T) {
	cols := []warehouse.Column{
		{Name: "s", Type: "LowCardinality(String)"}, {Name: "t", Type: "Nullable(DateTime64(3, 'UTC'))"},
		{Name: "d", Type: "Nullable(Date32)"}, {Name: "f", Type: "Nullable(Float64)"}, {Name: "l", Type: "Array(String)"},
		{Name: "m", Type: "Map(String, String)"}, {Name: "u", Type: "UInt8"}, {Name: "at", Type: "DateTime64(3, 'UTC')"},
		{Name: "other", Type: "Int16"},
	}
	conv, err := converters(cols)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var c captured
	rows := []warehouse.Row{
		{"x", &now, &now, ptr(1.5), []string{"a"}, map[string]string{"k": "v"}, uint8(1), now, int16(-3)},
		{"y", (*time.Time)(nil), nil, (*float64)(nil), []string(nil), map[string]string(nil), uint8(0), now, int16(0)},
	}
	if err := appendRows(&c, "t", cols, conv, rows, 0); err != nil {
		t.Fatal(err)
	}
	null := c.rows[1]
	if null[1] != nil || null[2] != nil || null[3] != nil {
		t.Errorf("typed nils must be NULL: %#v", null[:4])
	}
	if l, ok := null[4].([]string); !ok || l == nil {
		t.Errorf("nil list must be an empty array, got %#v", null[4])
	}
	if m, ok := null[5].(map[string]string); !ok || m == nil {
		t.Errorf("nil map must be an empty map, got %#v", null[5])
	}
	if c.rows[0][1] != now || c.rows[0][3] != 1.5 || c.rows[0][8] != int16(-3) {
		t.Errorf("values: %#v", c.rows[0])
	}
}

func TestConvertRejectsWrongTypes(t *testing.T) {
	cols := []warehouse.Column{{Name: "tenant", Type: "String"}, {Name: "version", Type: "UInt64"}, {Name: "created_at", Type: "Nullable(DateTime64(3, 'UTC'))"}, {Name: "synced_at", Type: "DateTime64(3, 'UTC')"}}
	conv, _ := converters(cols)
	cases := []struct {
		row  warehouse.Row
		want string
	}{
		{warehouse.Row{"a", 7, nil, time.Now()}, "row 3, column version (UInt64): want uint64, got int"},
		{warehouse.Row{"a", uint64(1), "2024-01-01", time.Now()}, "row 3, column created_at"},
		{warehouse.Row{nil, uint64(1), nil, time.Now()}, "column tenant (String): want string, got NULL"},
		{warehouse.Row{"a", uint64(1), nil, (*time.Time)(nil)}, "column synced_at"},
		{warehouse.Row{"a", uint64(1)}, "row 3 has 2 values for 4 columns"},
	}
	for _, c := range cases {
		err := appendRows(&captured{}, "pmo.work_items_versions", cols, conv, []warehouse.Row{c.row}, 2)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "pmo.work_items_versions") {
			t.Errorf("%v: got %v, want …%s…", c.row, err, c.want)
		}
	}
}

func TestInsertStatementQuotesColumns(t *testing.T) {
	got := insertStatement("pmo.work_items_versions", []warehouse.Column{{Name: "key"}, {Name: "odd`name"}})
	if got != "INSERT INTO pmo.work_items_versions (`key`, `odd\\`name`)" {
		t.Errorf("%s", got)
	}
}

// BenchmarkAppendWorkItems converts and appends 10,000 work_items rows into the column
// buffers a clickhouse-go batch uses (everything Insert does but the network).
func BenchmarkAppendWorkItems(b *testing.B) {
	cols := warehouse.WorkItems.AllColumns()
	sample := sampleWorkItems()
	rows := make([]warehouse.Row, 10_000)
	for i := range rows {
		rows[i] = sample[i%2]
	}
	conv, _ := converters(cols)
	b.ReportAllocs()
	for b.Loop() {
		blk := newBlock(b, cols)
		if err := appendRows(blk, "t", cols, conv, rows, 0); err != nil {
			b.Fatal(err)
		}
	}
}
