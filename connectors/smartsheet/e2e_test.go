package smartsheet

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

// e2e runs the real sync engine (what `pmohub sync` runs) with the default mapping into
// the embedded warehouse, against the fake. Skipped when libchdb is not installed.
type e2e struct {
	*harness
	wh  *warehouse.Warehouse
	eng *pmosync.Engine
	src *pmosync.Source
}

func newE2E(t testing.TB, f *ss.Server, settings string) *e2e {
	t.Helper()
	w := whtest.New(t, "default")
	h := newHarness(t, f, settings)
	m, err := mappings.DefaultFor("smartsheet", Kind().Mapping)
	if err != nil {
		t.Fatal(err)
	}
	x := &e2e{harness: h, wh: w}
	x.eng = &pmosync.Engine{WH: w, Logger: slog.New(slog.NewTextHandler(h, nil))}
	x.src = &pmosync.Source{
		Config:    connectors.SourceConfig{Name: "plans", Kind: "smartsheet", URL: h.srv.URL + "/2.0", Auth: connectors.Auth{"token": testToken}},
		Connector: h.conn, Mapping: m, MappingText: Kind().Mapping,
	}
	return x
}

// reconfigure swaps the connector for one with other settings (pmohub.yaml edited).
func (x *e2e) reconfigure(t testing.TB, settings string) {
	t.Helper()
	h := newHarness(t, x.fake, settings)
	x.conn = h.conn
	x.src.Connector = h.conn
	x.src.Config.URL = h.srv.URL + "/2.0"
}

// sync runs the engine once; the run row and its error are returned as they are.
func (x *e2e) sync(t testing.TB) (warehouse.SyncRun, error) {
	t.Helper()
	return x.eng.Sync(context.Background(), x.src, pmosync.Options{})
}

func (x *e2e) mustRun(t testing.TB) warehouse.SyncRun {
	t.Helper()
	run, err := x.sync(t)
	if err != nil {
		t.Fatalf("sync: %v (run %+v)\n%s", err, run, x.logText())
	}
	return run
}

func (x *e2e) query(t testing.TB, sql string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sql = strings.ReplaceAll(sql, "DB.", x.wh.Layout().Database+".")
	if err := x.wh.QueryInto(context.Background(), sql, &out); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// BenchmarkE2EFirstSync10kRows is the figure end to end: a 10,000-row sheet with
// every column type, first sync of both streams through the sync engine and the default
// mapping into the embedded warehouse (skipped without libchdb).
func BenchmarkE2EFirstSync10kRows(b *testing.B) {
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		f := newFake()
		id := bigPlan(b, f, 10_000)
		x := newE2E(b, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", id))
		b.StartTimer()
		cpu0 := cpuTime()
		run := x.mustRun(b)
		cpu += cpuTime() - cpu0
		if run.RecordsRead != 10_001 {
			b.Fatalf("run %+v", run)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

func TestE2ESheetRemovedFromConfig(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan A")
	q := addPlan(t, f, "Plan B")
	x := newE2E(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n  - {id: %d}\n", p.sheet, q.sheet))
	x.mustRun(t)
	count := func(sql string) string { return fmt.Sprint(x.query(t, sql)[0]["n"]) }
	items := "SELECT count() AS n FROM DB.work_items WHERE native_id LIKE '" + fmt.Sprint(q.sheet) + "/%'"
	members := "SELECT count() AS n FROM DB.project_members WHERE member_ref = '" + fmt.Sprint(q.sheet) + "'"
	if count(items) != "4" || count(members) != "1" {
		t.Fatalf("first sync: %s items, %s members of plan B", count(items), count(members))
	}
	// A 404 on a configured sheet is an error and keeps every row.
	f.DeleteSheet(q.sheet)
	run, err := x.sync(t)
	if err == nil || run.Status != "failed" || !strings.Contains(run.Error, "Not Found") || count(items) != "4" {
		t.Fatalf("deleted sheet: run %+v err %v, %s items", run, err, count(items))
	}
	// Removed from pmohub.yaml: its rows and membership leave the views.
	x.reconfigure(t, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	run = x.mustRun(t)
	if run.RecordsDeleted != 5 || count(items) != "0" || count(members) != "0" {
		t.Fatalf("removed sheet: run %+v, %s items, %s members", run, count(items), count(members))
	}
	if n := count("SELECT count() AS n FROM DB.work_items"); n != "4" {
		t.Fatalf("plan A: %s items", n)
	}
}
