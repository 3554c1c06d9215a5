package sheets

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	sf "github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

// e2e runs the real sync engine (what `pmohub sync` runs) with the default mapping into
// the embedded warehouse, against the fake. Skipped when libchdb is not installed.
type e2e struct {
	*env
	wh  *warehouse.Warehouse
	eng *pmosync.Engine
	src *pmosync.Source
}

func newE2E(t testing.TB) *e2e {
	t.Helper()
	w := whtest.New(t, "default")
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	m, err := mappings.DefaultFor("sheets", Kind().Mapping)
	if err != nil {
		t.Fatal(err)
	}
	x := &e2e{env: e, wh: w}
	x.eng = &pmosync.Engine{WH: w, Logger: slog.New(slog.NewTextHandler(e.logs, nil)), Now: func() time.Time { return e.clock }}
	x.src = &pmosync.Source{
		Config:    connectors.SourceConfig{Name: "portfolio", Kind: "sheets", URL: e.srv.URL, Auth: connectors.Auth{"api_key": "test-key-123456"}},
		Connector: e.conn, Mapping: m, MappingText: Kind().Mapping,
	}
	return x
}

func (x *e2e) run(t testing.TB) warehouse.SyncRun {
	t.Helper()
	x.fake.ResetLog()
	run, err := x.eng.Sync(context.Background(), x.src, pmosync.Options{})
	if err != nil {
		t.Fatalf("sync: %v (run %+v)\n%s", err, run, x.logs)
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

func (x *e2e) items(t testing.TB) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range x.query(t, "SELECT key, title, status, status_category, toString(due_date) AS due, toString(started_at) AS started FROM DB.work_items") {
		out[r["key"].(string)] = r
	}
	return out
}

func TestE2ESync(t *testing.T) {
	x := newE2E(t)

	// First sync.
	run := x.run(t)
	if run.Status != "succeeded" || run.RecordsRead != 5 || run.Requests != 3 {
		t.Fatalf("first run: %+v", run)
	}
	items := x.items(t)
	if len(items) != 3 || items["R-2"]["status_category"] != "in_progress" || items["R-1"]["due"] != "2025-04-01" {
		t.Fatalf("work_items: %v", items)
	}
	projects := x.query(t, "SELECT project_id, health, percent_complete FROM DB.projects ORDER BY project_id")
	if len(projects) != 2 || projects[0]["health"] != "green" || projects[0]["percent_complete"] != 45.0 || projects[1]["health"] != "amber" {
		t.Fatalf("projects: %v", projects)
	}
	members := x.query(t, "SELECT project_id, member_kind, member_ref FROM DB.project_members ORDER BY member_ref")
	if len(members) != 4 {
		t.Fatalf("project_members: %v", members)
	}

	// Unchanged: one request, nothing read.
	run = x.run(t)
	if run.Requests != 1 || run.RecordsRead != 0 || len(x.fake.Requests()) != 1 {
		t.Fatalf("unchanged run: %+v, requests %v", run, x.apiRequests())
	}

	// Edits: a status change becomes a transition stamped with the sheet's modification time.
	x.tick(time.Hour)
	must(t, x.fake.SetCell(demoID, "RAID Log", 2, 3, sf.T("In Progress")))
	editedAt := x.clock
	run = x.run(t)
	if run.RecordsRead != 1 {
		t.Fatalf("edit run: %+v", run)
	}
	tr := x.query(t, "SELECT from_category, to_category, toString(at) AS at FROM DB.transitions")
	if len(tr) != 1 || tr[0]["to_category"] != "in_progress" || !strings.HasPrefix(tr[0]["at"].(string), editedAt.Format("2006-01-02 15:04:05")) {
		t.Fatalf("transitions: %v", tr)
	}
	if got := x.items(t)["R-1"]; got["status_category"] != "in_progress" || !strings.HasPrefix(fmt.Sprint(got["started"]), editedAt.Format("2006-01-02 15:04:05")) {
		t.Fatalf("R-1 after edit: %v", got)
	}

	// Inserted rows above others: only the new row is read; identities hold.
	must(t, x.fake.InsertRow(demoID, "RAID Log", 2, []sf.Cell{sf.T("R-0"), sf.T("Issue"), sf.T("Inserted on top"), sf.T("Blocked")}))
	run = x.run(t)
	if run.RecordsRead != 1 || len(x.items(t)) != 4 {
		t.Fatalf("insert run: %+v items %v", run, x.items(t))
	}

	// Deleted rows disappear from the views.
	must(t, x.fake.DeleteRow(demoID, "RAID Log", 5)) // R-3 (row 4 before the insert)
	run = x.run(t)
	if run.RecordsDeleted != 1 || x.items(t)["R-3"] != nil || len(x.items(t)) != 3 {
		t.Fatalf("delete run: %+v items %v", run, x.items(t))
	}

	// Duplicate keys: reported, the top-most row keeps the key, nothing merges.
	must(t, x.fake.AppendRow(demoID, "RAID Log", []sf.Cell{sf.T("R-1"), sf.T("Risk"), sf.T("A copy"), sf.T("Done")}))
	x.run(t)
	if got := x.items(t)["R-1"]; got["title"] != "Vendor delay" {
		t.Fatalf("duplicate key merged: %v", got)
	}
	if !strings.Contains(x.logs.String(), "duplicate_key") {
		t.Fatal("duplicate key not reported")
	}

	// A renamed key header fails the source clearly and keeps every stored row.
	before := len(x.items(t))
	must(t, x.fake.SetCell(demoID, "RAID Log", 1, 0, sf.T("Risk ID")))
	x.fake.ResetLog()
	run, err := x.eng.Sync(context.Background(), x.src, pmosync.Options{})
	if err == nil || !strings.Contains(err.Error(), `column "ID"`) || run.Status == "succeeded" {
		t.Fatalf("renamed header: run %+v err %v", run, err)
	}
	if len(x.items(t)) != before {
		t.Fatalf("renamed header changed stored items: %v", x.items(t))
	}
	if n := x.query(t, "SELECT count() AS n FROM DB.projects")[0]["n"]; fmt.Sprint(n) != "2" {
		t.Fatalf("projects after failed tab: %v", n)
	}
}
