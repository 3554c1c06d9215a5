package sheets

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pmohub/pmohub/connectors"
	sf "github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
	pmosync "github.com/pmohub/pmohub/sync"
)

const testAPIKey = "test-key-123456"

func TestTabRemovedFromConfigLeavesTheViews(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	// Only the register stays configured: the RAID rows are tombstoned, the register's kept.
	e.conn = e.connector(connectors.Auth{"api_key": testAPIKey}, "spreadsheets:\n  - id: 1PMOportfolioDEMO\n    tabs:\n      - {tab: Portfolio, entity: projects, key: Project ID}\n")
	e.mustSync()
	if e.store.count() != 2 || e.store.deleted != 3 {
		t.Fatalf("stored %d deleted %d, want the 2 register rows and 3 RAID rows deleted", e.store.count(), e.store.deleted)
	}
	e.store.payload(t, e.rowID("Portfolio", "PRJ-001"))
	// Configured again: read in full, the rows come back.
	e.conn = e.connector(connectors.Auth{"api_key": testAPIKey}, portfolioSettings)
	e.mustSync()
	if e.store.count() != 5 {
		t.Fatalf("stored %d after re-adding the tab", e.store.count())
	}
}

func TestSpreadsheetRemovedFromConfigLeavesTheViews(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.fake.AddSpreadsheet("2OTHER", "Other")
	must(t, e.fake.AddTab("2OTHER", "Tasks", [][]sf.Cell{hdr("ID", "Title"), {sf.T("O-1"), sf.T("Other task")}}))
	other := "\n  - id: 2OTHER\n    tabs:\n      - {tab: Tasks, key: ID}\n"
	e.conn = e.connector(connectors.Auth{"api_key": testAPIKey}, portfolioSettings+other)
	e.mustSync()
	if e.store.count() != 6 {
		t.Fatalf("stored %d", e.store.count())
	}
	e.conn = e.connector(connectors.Auth{"api_key": testAPIKey}, "spreadsheets:"+other)
	e.mustSync()
	if e.store.count() != 1 || e.store.deleted != 5 {
		t.Fatalf("stored %d deleted %d, want only the other spreadsheet's row", e.store.count(), e.store.deleted)
	}
	// The demo spreadsheet cost no request: nothing is asked of a source no longer configured.
	for _, r := range e.apiRequests() {
		if strings.Contains(r, demoID) {
			t.Fatalf("asked about the removed spreadsheet: %v", e.apiRequests())
		}
	}
	if !strings.Contains(e.logs.String(), "no longer configured") {
		t.Fatalf("not logged:\n%s", e.logs)
	}
}

// A configured spreadsheet that fails (deleted, unshared) keeps its rows: only a
// configuration change removes them.
func TestFailingSpreadsheetIsNotRemoved(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	e.fake.DeleteSpreadsheet(demoID)
	if err := e.sync(false); err == nil {
		t.Fatal("want an error")
	}
	if e.store.count() != 5 || e.store.deleted != 0 {
		t.Fatalf("stored %d deleted %d", e.store.count(), e.store.deleted)
	}
}

func TestE2ERemovedTabAndSpreadsheet(t *testing.T) {
	x := newE2E(t)
	x.run(t)
	count := func(table string) string {
		return fmt.Sprint(x.query(t, "SELECT count() AS n FROM DB."+table)[0]["n"])
	}
	if count("work_items") != "3" || count("projects") != "2" {
		t.Fatalf("first sync: %s items, %s projects", count("work_items"), count("projects"))
	}
	x.src.Connector = x.connector(connectors.Auth{"api_key": testAPIKey}, "spreadsheets:\n  - id: 1PMOportfolioDEMO\n    tabs:\n      - {tab: Portfolio, entity: projects, key: Project ID}\n")
	run := x.run(t)
	if run.RecordsDeleted != 3 || count("work_items") != "0" || count("projects") != "2" {
		t.Fatalf("tab removed: run %+v, %s items, %s projects", run, count("work_items"), count("projects"))
	}
	// The whole spreadsheet removed (another one configured instead): the register goes too.
	x.fake.AddSpreadsheet("2OTHER", "Other")
	must(t, x.fake.AddTab("2OTHER", "Tasks", [][]sf.Cell{hdr("ID", "Title"), {sf.T("O-1"), sf.T("Other task")}}))
	x.src.Connector = x.connector(connectors.Auth{"api_key": testAPIKey}, "spreadsheets:\n  - id: 2OTHER\n    tabs:\n      - {tab: Tasks, key: ID}\n")
	run = x.run(t)
	if count("projects") != "0" || count("project_members") != "0" || count("work_items") != "1" {
		t.Fatalf("spreadsheet removed: run %+v, %s projects, %s members, %s items", run, count("projects"), count("project_members"), count("work_items"))
	}
	// A configured spreadsheet that disappears is an error, and its rows stay.
	x.fake.DeleteSpreadsheet("2OTHER")
	x.fake.ResetLog()
	run, err := x.eng.Sync(context.Background(), x.src, pmosync.Options{})
	if err == nil || run.Status != "failed" || count("work_items") != "1" {
		t.Fatalf("deleted spreadsheet: run %+v err %v, %s items", run, err, count("work_items"))
	}
}
