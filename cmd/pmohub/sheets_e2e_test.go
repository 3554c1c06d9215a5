package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sf "github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
)

// requireWorkstream extends the built-in mapping with a field naming one column with no
// fallback or default, so a tab without a "Workstream" header must fail.
const requireWorkstream = `extends: default
entities:
  work_items:
    fields:
      attributes.workstream: {column: Workstream}
`

func TestSheetsTrackerEndToEnd(t *testing.T) {
	needChDB(t)
	const (
		sheetID = "1TrackerE2E"
		tab     = "Tracker"
		apiKey  = "sheets-key-123456"
		weird   = "Résumé «ü» 😀 \"q\" \\ back\nline 2 '; DROP TABLE work_items; --"
	)
	f := sf.New(nil)
	f.AddAPIKey(apiKey)
	srv := f.Start()
	defer srv.Close()
	f.AddSpreadsheet(sheetID, "Atlas tracker")
	row := func(id, title, status, owner string, due sf.Cell, pct float64) []sf.Cell {
		return []sf.Cell{sf.T(id), sf.T(title), sf.T(status), sf.T(owner), due, sf.Pct(pct), sf.T("Core")}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.AddTab(sheetID, tab, [][]sf.Cell{
		{sf.T("ID"), sf.T("Title"), sf.T("Status"), sf.T("Owner"), sf.T("Due"), sf.T("% Complete"), sf.T("Workstream")},
		row("W-1", weird, "Not Started", "Alice Ng", sf.D(2026, time.March, 1), 0.25),
		row("W-2", "Build", "In Progress", "Bob", sf.D(2026, time.April, 15), 0.5),
		row("W-3", "Launch", "Not Started", "Alice Ng", sf.Empty, 0),
	}))

	dir := t.TempDir()
	cfg := fmt.Sprintf(`tenant: acme
sources:
  - name: tracker
    kind: sheets
    url: %s/
    mapping: tracker.yaml
    auth: {api_key: "${T_SHEETS_KEY}"}
    spreadsheets:
      - id: %s
        tabs:
          - {tab: %s, entity: work_items, key: ID}
`, srv.URL, sheetID, tab)
	must(os.WriteFile(filepath.Join(dir, "pmohub.yaml"), []byte(cfg), 0o644))
	must(os.WriteFile(filepath.Join(dir, "tracker.yaml"), []byte(requireWorkstream), 0o644))
	env := []string{"T_SHEETS_KEY=" + apiKey}

	// sync runs `pmohub sync` and returns its stdout and stderr (logs).
	sync := func() (string, string) {
		t.Helper()
		out, errs, code := pmohub(t, dir, env, "sync")
		if code != 0 {
			t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
		}
		if strings.Contains(out+errs, apiKey) {
			t.Fatalf("API key in the output:\n%s\n%s", out, errs)
		}
		return out, errs
	}
	items := func() map[string]map[string]any {
		t.Helper()
		out := map[string]map[string]any{}
		for _, r := range queryJSON(t, dir, "SELECT item_id, native_id, key, title, status, status_category, assignee_id, toString(due_date) AS due, attributes['percent_complete'] AS pct, attributes['workstream'] AS ws FROM work_items WHERE tenant = 'acme'") {
			k := r["key"].(string)
			if out[k] != nil {
				t.Fatalf("key %s twice in work_items: %v and %v", k, out[k], r)
			}
			out[k] = r
		}
		return out
	}
	lastRun := func() map[string]any {
		t.Helper()
		rs := queryJSON(t, dir, "SELECT status, records_read, records_deleted, requests, error FROM sync_runs WHERE tenant = 'acme' AND source = 'tracker' ORDER BY started_at DESC LIMIT 1")
		if len(rs) != 1 {
			t.Fatalf("sync_runs: %v", rs)
		}
		return rs[0]
	}
	num := func(v any) string { return fmt.Sprint(v) }

	// 1. First sync: typed cells and verbatim text.
	sync()
	got := items()
	w1 := got["W-1"]
	if len(got) != 3 || w1["title"] != weird || w1["status_category"] != "todo" || w1["due"] != "2026-03-01" ||
		w1["assignee_id"] != "tracker:Alice Ng" || w1["ws"] != "Core" || got["W-2"]["status_category"] != "in_progress" {
		t.Fatalf("first sync: %v", got)
	}
	if p := num(w1["pct"]); p != "25" { // percent columns are 0–100 (connectors/tabular)
		t.Fatalf("W-1 %% Complete: %q", p)
	}
	ids := map[string]string{}
	for k, r := range got {
		ids[k] = r["item_id"].(string)
		if !strings.HasPrefix(r["native_id"].(string), sheetID+"/") || !strings.HasSuffix(r["native_id"].(string), "/"+k) {
			t.Fatalf("native_id of %s: %v", k, r["native_id"])
		}
	}
	if n := queryJSON(t, dir, "SELECT count() AS n FROM people WHERE tenant = 'acme'")[0]["n"]; num(n) != "2" {
		t.Fatalf("people: %v", n)
	}

	// 2. Unchanged: one request (Drive files.get), nothing read.
	f.ResetLog()
	sync()
	if reqs := f.Requests(); len(reqs) != 1 {
		t.Fatalf("unchanged spreadsheet cost %d requests: %+v", len(reqs), reqs)
	}
	if r := lastRun(); num(r["records_read"]) != "0" || num(r["requests"]) != "1" {
		t.Fatalf("unchanged run: %v", r)
	}

	// 3. A status edit changes the item and records a transition.
	must(f.SetCell(sheetID, tab, 2, 2, sf.T("In Progress"))) // W-1
	sync()
	if w := items()["W-1"]; w["status"] != "In Progress" || w["status_category"] != "in_progress" || w["title"] != weird {
		t.Fatalf("W-1 after edit: %v", w)
	}
	tr := queryJSON(t, dir, "SELECT item_id, from_value, to_value, from_category, to_category FROM transitions WHERE tenant = 'acme'")
	if len(tr) != 1 || tr[0]["item_id"] != ids["W-1"] || tr[0]["from_value"] != "Not Started" || tr[0]["to_value"] != "In Progress" ||
		tr[0]["from_category"] != "todo" || tr[0]["to_category"] != "in_progress" {
		t.Fatalf("transitions: %v", tr)
	}

	// 4. A row inserted above the others: keys stay with their records, only it is read.
	must(f.InsertRow(sheetID, tab, 2, row("W-0", "Kick-off", "Done", "Carol", sf.Empty, 1)))
	sync()
	got = items()
	if len(got) != 4 || got["W-0"]["title"] != "Kick-off" || got["W-0"]["status_category"] != "done" {
		t.Fatalf("after insert: %v", got)
	}
	for k, id := range ids {
		if got[k]["item_id"] != id {
			t.Fatalf("%s re-keyed: %v, was %s", k, got[k]["item_id"], id)
		}
	}
	if got["W-1"]["title"] != weird || got["W-2"]["title"] != "Build" || got["W-3"]["title"] != "Launch" {
		t.Fatalf("records moved between keys: %v", got)
	}
	if r := lastRun(); num(r["records_read"]) != "1" {
		t.Fatalf("insert run read more than the new row: %v", r)
	}

	// 5. A deleted row leaves work_items.
	must(f.DeleteRow(sheetID, tab, 5)) // W-3
	sync()
	got = items()
	if len(got) != 3 || got["W-3"] != nil {
		t.Fatalf("after delete: %v", got)
	}
	if r := lastRun(); num(r["records_deleted"]) != "1" {
		t.Fatalf("delete run: %v", r)
	}

	// 6. A renamed column the mapping requires fails the tab, names it and keeps the rows.
	must(f.SetCell(sheetID, tab, 1, 6, sf.T("Stream")))
	must(f.SetCell(sheetID, tab, 3, 2, sf.T("Done"))) // an edit that must not be written
	out, errs, code := pmohub(t, dir, env, "sync")
	if code == 0 {
		t.Fatalf("renamed required column: exit 0\n%s\n%s", out, errs)
	}
	// The summary on stdout carries the error: spreadsheet, tab, column and mapping line.
	for _, want := range []string{sheetID, `tab "` + tab + `"`, `column "Workstream"`, "tracker.yaml:5"} {
		if !strings.Contains(out, want) {
			t.Fatalf("renamed required column: output lacks %s\n%s\n%s", want, out, errs)
		}
	}
	if strings.Contains(out+errs, apiKey) {
		t.Fatalf("API key in the output:\n%s\n%s", out, errs)
	}
	if r := lastRun(); r["status"] != "failed" || !strings.Contains(r["error"].(string), "Workstream") {
		t.Fatalf("failed run: %v", r)
	}
	got = items()
	if len(got) != 3 || got["W-1"]["status"] != "In Progress" || got["W-1"]["ws"] != "Core" {
		t.Fatalf("stored rows after the failed sync: %v", got)
	}
	// Restoring the header syncs the pending edit.
	must(f.SetCell(sheetID, tab, 1, 6, sf.T("Workstream")))
	sync()
	if w := items()["W-1"]; w["status"] != "Done" || w["status_category"] != "done" {
		t.Fatalf("W-1 after the header came back: %v", w)
	}

	// 7. Duplicate keys: reported with the tab, row and key; the top-most row keeps the key.
	must(f.AppendRow(sheetID, tab, row("W-2", "A copy of Build", "Cancelled", "Dave", sf.Empty, 0)))
	out, errs = sync()
	if !strings.Contains(out, "problems: 1 in the source data") {
		t.Fatalf("the summary does not count the duplicate key:\n%s", out)
	}
	last := queryJSON(t, dir, "SELECT source_problems FROM sync_runs WHERE tenant = 'acme' ORDER BY started_at DESC LIMIT 1")
	if len(last) != 1 || num(last[0]["source_problems"]) != "1" {
		t.Fatalf("sync_runs.source_problems of the last run: %v", last)
	}
	got = items()
	if len(got) != 3 || got["W-2"]["title"] != "Build" || got["W-2"]["status"] != "In Progress" || got["W-2"]["item_id"] != ids["W-2"] {
		t.Fatalf("duplicate key merged: %v", got)
	}
	dup := ""
	for _, l := range strings.Split(errs, "\n") {
		if strings.Contains(l, "duplicate_key") {
			dup = l
		}
	}
	if dup == "" || !strings.Contains(dup, sheetID) || !strings.Contains(dup, tab) || !strings.Contains(dup, "W-2") ||
		!(strings.Contains(dup, `"row":5`) || strings.Contains(dup, "row=5")) {
		t.Fatalf("duplicate key not reported with spreadsheet, tab, row and key: %q\n%s", dup, errs)
	}
	if n := queryJSON(t, dir, "SELECT count() AS n FROM people WHERE tenant = 'acme' AND display_name = 'Dave'")[0]["n"]; num(n) != "0" {
		t.Fatalf("the skipped duplicate row reached people: %v", n)
	}

	// 8. A mapping edited by hand to require a column no stored row has: it is not
	// re-applied, so the analysts' rows keep the mapping in force.
	before := items()
	generation := func() string {
		return num(queryJSON(t, dir, "SELECT generation FROM source_generations WHERE tenant = 'acme' AND source = 'tracker'")[0]["generation"])
	}
	gen := generation()
	must(os.WriteFile(filepath.Join(dir, "tracker.yaml"), []byte(requireWorkstream+"      attributes.budget: {column: Budget}\n"), 0o644))
	out, errs, code = pmohub(t, dir, env, "sync")
	if code == 0 || !strings.Contains(out, `changed mapping is not applied`) || !strings.Contains(out, `column "Budget"`) {
		t.Fatalf("a mapping requiring a missing column: exit %d\n%s\n%s", code, out, errs)
	}
	if g := generation(); g != gen {
		t.Fatalf("the refused mapping was re-applied: generation %s → %s", gen, g)
	}
	if after := items(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("the refused mapping changed the rows:\n%v\n%v", before, after)
	}
	must(os.WriteFile(filepath.Join(dir, "tracker.yaml"), []byte(requireWorkstream), 0o644))
	sync()
}
