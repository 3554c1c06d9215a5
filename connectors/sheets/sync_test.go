package sheets

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	sf "github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
)

const portfolioSettings = `
spreadsheets:
  - id: 1PMOportfolioDEMO
    tabs:
      - {tab: Portfolio, entity: projects, key: Project ID}
      - {tab: RAID Log, entity: work_items, key: ID}
`

// seedPortfolio fills the demo spreadsheet with a register and a RAID log.
func seedPortfolio(t testing.TB, e *env) {
	t.Helper()
	must(t, e.fake.AddTab(demoID, "Portfolio", [][]sf.Cell{
		hdr("Project ID", "Project", "Status", "Owner", "Start", "Target Date", "% Complete", "Budget", "Jira Project", "GitHub Repo", "Active"),
		{sf.T("PRJ-001"), sf.T("Alpha launch"), sf.T("On Track"), sf.T("ana@example.com"), sf.D(2025, 1, 6), sf.D(2025, 6, 30), sf.Pct(0.45), sf.Money(125000), sf.T("ALPHA"), sf.T("acme/web, acme/api"), sf.B(true)},
		{sf.T("PRJ-002"), sf.T("Billing revamp"), sf.T("At Risk"), sf.T("bo@example.com"), sf.D(2025, 2, 3), sf.D(2025, 9, 1), sf.Pct(0.1), sf.Money(80000), sf.T("BILL")},
	}))
	must(t, e.fake.AddTab(demoID, "RAID Log", [][]sf.Cell{
		hdr("ID", "Type", "Title", "Status", "Owner", "Due", "Raised"),
		{sf.T("R-1"), sf.T("Risk"), sf.T("Vendor delay"), sf.T("Not Started"), sf.T("ana@example.com"), sf.D(2025, 4, 1), sf.DT(time.Date(2025, 2, 1, 14, 30, 0, 0, time.UTC))},
		{sf.T("R-2"), sf.T("Issue"), sf.T("Env outage"), sf.T("In Progress"), sf.T("bo@example.com"), sf.D(2025, 3, 15)},
		{sf.T("R-3"), sf.T("Action"), sf.T("Book review"), sf.T("Done")},
	}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestFirstSyncTypedKeyedRows(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()

	if got := e.apiRequests(); len(got) != 3 || !strings.Contains(got[0], "/drive/v3/files/") || !strings.HasSuffix(got[2], "values:batchGet") {
		t.Fatalf("first sync requests = %v, want drive version, metadata, one batchGet", got)
	}
	if e.store.count() != 5 {
		t.Fatalf("stored %d rows, want 5", e.store.count())
	}
	p := e.store.payload(t, e.rowID("Portfolio", "PRJ-001"))
	cells := p["cells"].(map[string]any)
	want := map[string]any{
		"Project ID": "PRJ-001", "Status": "On Track", "Start": "2025-01-06", "Target Date": "2025-06-30",
		"% Complete": 45.0, "Budget": 125000.0, "Active": true, "GitHub Repo": "acme/web, acme/api",
	}
	for k, v := range want {
		if cells[k] != v {
			t.Errorf("cells[%q] = %#v, want %#v", k, cells[k], v)
		}
	}
	if p["entity"] != "projects" || p["key"] != "PRJ-001" || p["row"] != 2.0 || p["tab"] != "Portfolio" || p["table_name"] != "PMO Portfolio" {
		t.Errorf("row metadata = %v", p)
	}
	members := p["members"].([]any)
	if len(members) != 3 {
		t.Fatalf("members = %v, want jira ALPHA and two repos", members)
	}
	if m := members[0].(map[string]any); m["kind"] != "github_repo" || m["ref"] != "acme/api" {
		t.Errorf("members[0] = %v", m)
	}
	// A ragged row (trailing cells omitted by the API) still has every column, empty as null.
	p2 := e.store.payload(t, e.rowID("Portfolio", "PRJ-002"))
	c2 := p2["cells"].(map[string]any)
	if v, ok := c2["Active"]; !ok || v != nil {
		t.Errorf("ragged row Active = %#v (present %v), want null", v, ok)
	}
	r1 := e.store.payload(t, e.rowID("RAID Log", "R-1"))["cells"].(map[string]any)
	if r1["Raised"] != "2025-02-01T14:30:00.000Z" {
		t.Errorf("datetime = %v", r1["Raised"])
	}
	if !strings.Contains(e.logs.String(), "not_mapped") {
		t.Errorf("no column report logged:\n%s", e.logs)
	}
}

func TestUnchangedSpreadsheetCostsOneRequest(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	written := e.store.written
	before := e.stats.Requests.Load()
	e.mustSync()
	if got := e.apiRequests(); len(got) != 1 || !strings.Contains(got[0], "/drive/v3/files/"+demoID) {
		t.Fatalf("unchanged sync requests = %v, want one Drive files.get", got)
	}
	if n := e.stats.Requests.Load() - before; n != 1 {
		t.Fatalf("counted %d requests, want 1", n)
	}
	if e.store.written != written {
		t.Fatalf("unchanged sync wrote %d rows", e.store.written-written)
	}
}

func TestEditWritesOnlyChangedRowWithStatusHistory(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	e.tick(time.Hour)
	must(t, e.fake.SetCell(demoID, "RAID Log", 2, 3, sf.T("In Progress")))
	editedAt := e.clock
	written := e.store.written
	e.mustSync()
	if got := e.store.written - written; got != 1 {
		t.Fatalf("edit wrote %d rows, want 1", got)
	}
	p := e.store.payload(t, e.rowID("RAID Log", "R-1"))
	h := p["history"].([]any)
	if len(h) != 1 {
		t.Fatalf("history = %v", h)
	}
	c := h[0].(map[string]any)
	if c["from"] != "Not Started" || c["to"] != "In Progress" || c["field"] != "status" || c["at"] != editedAt.Format(time.RFC3339Nano) {
		t.Errorf("change = %v (edited at %s)", c, editedAt)
	}
	// A second status change keeps the first in the history.
	e.tick(time.Hour)
	must(t, e.fake.SetCell(demoID, "RAID Log", 2, 3, sf.T("Done")))
	e.mustSync()
	h = e.store.payload(t, e.rowID("RAID Log", "R-1"))["history"].([]any)
	if len(h) != 2 || h[1].(map[string]any)["to"] != "Done" {
		t.Fatalf("history after second change = %v", h)
	}
	// A re-read of the same version (a crash before the cursor was saved) adds nothing.
	e.store.cursor = nil
	e.mustSync()
	if h2 := e.store.payload(t, e.rowID("RAID Log", "R-1"))["history"].([]any); len(h2) != 2 {
		t.Fatalf("re-read changed history: %v", h2)
	}
}

func TestInsertedRowAboveKeepsIdentities(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	must(t, e.fake.InsertRow(demoID, "RAID Log", 2, []sf.Cell{sf.T("R-0"), sf.T("Risk"), sf.T("New risk on top"), sf.T("Not Started")}))
	written := e.store.written
	e.mustSync()
	if got := e.store.written - written; got != 1 {
		t.Fatalf("insert above wrote %d rows, want only the new one", got)
	}
	if p := e.store.payload(t, e.rowID("RAID Log", "R-0")); p["row"] != 2.0 {
		t.Errorf("new row number = %v", p["row"])
	}
	if e.store.count() != 6 {
		t.Errorf("stored %d rows, want 6", e.store.count())
	}
}

func TestDeletedRowBecomesDeletion(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	must(t, e.fake.DeleteRow(demoID, "RAID Log", 3))
	e.mustSync()
	if e.store.deleted != 1 || e.store.count() != 4 {
		t.Fatalf("deleted %d, stored %d; want 1 deletion, 4 rows", e.store.deleted, e.store.count())
	}
	e.store.mu.Lock()
	_, still := e.store.rows[e.rowID("RAID Log", "R-2")]
	e.store.mu.Unlock()
	if still {
		t.Fatal("R-2 still stored")
	}
}

func TestDuplicateAndEmptyKeysAreReportedNotMerged(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	must(t, e.fake.AppendRow(demoID, "RAID Log", []sf.Cell{sf.T("R-1"), sf.T("Risk"), sf.T("Copy-pasted twin"), sf.T("Done")}))
	must(t, e.fake.AppendRow(demoID, "RAID Log", []sf.Cell{sf.Empty, sf.T("Risk"), sf.T("No id yet")}))
	e.mustSync()
	p := e.store.payload(t, e.rowID("RAID Log", "R-1"))
	if p["cells"].(map[string]any)["Title"] != "Vendor delay" || p["row"] != 2.0 {
		t.Fatalf("the top-most R-1 must keep the key, got %v", p)
	}
	logs := e.logs.String()
	for _, want := range []string{"duplicate_key", "row=5", "value=R-1", "empty_key", "row=6", `tab="RAID Log"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if e.store.count() != 5 {
		t.Errorf("stored %d rows, want 5", e.store.count())
	}
}

func TestCellThatDoesNotFitIsKeptAsText(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	must(t, e.fake.SetCell(demoID, "RAID Log", 3, 5, sf.Cell{Value: "tbd", Format: sf.FormatDate})) // R-2 Due
	e.mustSync()
	p := e.store.payload(t, e.rowID("RAID Log", "R-2"))
	if got := p["cells"].(map[string]any)["Due"]; got != "tbd" {
		t.Fatalf("Due = %#v, want the text kept", got)
	}
	probs := p["problems"].([]any)
	if len(probs) != 1 || probs[0].(map[string]any)["column"] != "Due" {
		t.Fatalf("problems = %v", probs)
	}
	if d := e.store.payload(t, e.rowID("RAID Log", "R-1"))["cells"].(map[string]any)["Due"]; d != "2025-04-01" {
		t.Fatalf("other rows keep the date type, got %v", d)
	}
}

func TestRenamedKeyColumnKeepsStoredData(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	cursor := string(e.store.cursor)
	must(t, e.fake.SetCell(demoID, "RAID Log", 1, 0, sf.T("Ref")))
	err := e.sync(false)
	if err == nil || !strings.Contains(err.Error(), `column "ID"`) || !strings.Contains(err.Error(), "RAID Log") || !strings.Contains(err.Error(), demoID) {
		t.Fatalf("err = %v, want one naming spreadsheet, tab and column", err)
	}
	if e.store.count() != 5 || e.store.deleted != 0 {
		t.Fatalf("stored rows changed: %d rows, %d deleted", e.store.count(), e.store.deleted)
	}
	if string(e.store.cursor) != cursor {
		t.Fatal("cursor moved past a tab that failed")
	}
}

func TestRenamedColumnIsLogged(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	must(t, e.fake.SetCell(demoID, "RAID Log", 1, 5, sf.T("Due Date")))
	e.mustSync()
	if !strings.Contains(e.logs.String(), `column renamed?`) || !strings.Contains(e.logs.String(), `new_column="Due Date"`) {
		t.Fatalf("no rename warning:\n%s", e.logs)
	}
}

func TestRenamedTabNamesTheNewTitle(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	must(t, e.fake.RenameTab(demoID, "RAID Log", "RAID"))
	err := e.sync(false)
	var te *TabError
	if !errors.As(err, &te) || te.Tab != "RAID Log" || !strings.Contains(err.Error(), `renamed to "RAID"`) {
		t.Fatalf("err = %v, want a TabError naming the new title", err)
	}
	if e.store.count() != 5 || e.store.deleted != 0 {
		t.Fatal("stored rows changed")
	}
}

func TestDeletedSpreadsheetAndRevokedPermission(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(e *env)
		status int
		hint   string
	}{
		{"deleted", func(e *env) { e.fake.DeleteSpreadsheet(demoID) }, 404, "not found"},
		{"revoked", func(e *env) { must(t, e.fake.Deny(demoID, true)) }, 403, "no access"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, portfolioSettings)
			seedPortfolio(t, e)
			e.mustSync()
			tc.break_(e)
			err := e.sync(false)
			var se *connectors.SourceError
			if !errors.As(err, &se) || se.Status != tc.status || se.Source != "portfolio" || !strings.Contains(se.Endpoint, "drive/v3/files/"+demoID) || !strings.Contains(se.Hint, tc.hint) {
				t.Fatalf("err = %#v", err)
			}
			if e.store.count() != 5 || e.store.deleted != 0 {
				t.Fatal("an API error wiped stored rows")
			}
		})
	}
}

func TestEmptyTabIsAnErrorNotADeletion(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	must(t, e.fake.SetRows(demoID, "RAID Log", nil))
	err := e.sync(false)
	if err == nil || !strings.Contains(err.Error(), "no header") {
		t.Fatalf("err = %v", err)
	}
	if e.store.deleted != 0 {
		t.Fatal("a cleared tab deleted stored rows")
	}
}

func TestHeaderOnlyTabDeletesRows(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	must(t, e.fake.SetRows(demoID, "RAID Log", [][]sf.Cell{hdr("ID", "Type", "Title", "Status", "Owner", "Due", "Raised")}))
	e.mustSync()
	if e.store.deleted != 3 {
		t.Fatalf("deleted %d, want the 3 RAID rows", e.store.deleted)
	}
}

func TestVerbatimText(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	long := strings.Repeat("ünïcødé ", 625) // 5,000 characters
	nasty := []string{
		"Robert'); DROP TABLE work_items;--",
		"emoji 🚀🔥 and \"quotes\" and back\\slash",
		"line one\nline two\r\nline three",
		long,
	}
	for i, s := range nasty {
		must(t, e.fake.AppendRow(demoID, "RAID Log", []sf.Cell{sf.T("X-" + string(rune('a'+i))), sf.T("Risk"), sf.T(s), sf.T("Not Started")}))
	}
	e.mustSync()
	for i, s := range nasty {
		got := e.store.payload(t, e.rowID("RAID Log", "X-"+string(rune('a'+i))))["cells"].(map[string]any)["Title"]
		if got != s {
			t.Errorf("title %d = %q, want verbatim", i, got)
		}
	}
}

func TestFullSyncRewritesEveryRow(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	written := e.store.written
	if err := e.sync(true); err != nil {
		t.Fatal(err)
	}
	if got := e.store.written - written; got != 5 {
		t.Fatalf("--full wrote %d rows, want 5", got)
	}
}

func TestNewTabInConfigIsReadOnUnchangedSpreadsheet(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	must(t, e.fake.AddTab(demoID, "Tasks", [][]sf.Cell{hdr("Task ID", "Task"), {sf.T("T-1"), sf.T("Kick-off")}}))
	e.mustSync()
	e.conn = e.connector(connectors.Auth{"api_key": "test-key-123456"}, portfolioSettings+"      - {tab: Tasks, entity: work_items, key: Task ID}\n")
	e.mustSync()
	if e.store.count() != 6 {
		t.Fatalf("stored %d, want the Tasks row too", e.store.count())
	}
}

func TestChangedTabConfigRereadsUnchangedSpreadsheet(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	e.conn = e.connector(connectors.Auth{"api_key": "test-key-123456"}, strings.Replace(portfolioSettings, "key: ID}", "key: ID, types: {Owner: text}}", 1))
	e.mustSync()
	if n := len(e.apiRequests()); n != 3 {
		t.Fatalf("requests = %v, want a re-read after a config change", e.apiRequests())
	}
	e.mustSync()
	if n := len(e.apiRequests()); n != 1 {
		t.Fatalf("requests = %v, want one once the cursor has the new config", e.apiRequests())
	}
}
