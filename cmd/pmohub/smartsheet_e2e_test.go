package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

func TestSmartsheetPlanEndToEnd(t *testing.T) {
	needChDB(t)
	f := ss.New()
	f.AddToken("ss-token-12345", ss.Contact{Email: "pmo@acme.com", Name: "PMO"})
	srv := httptest.NewServer(f)
	defer srv.Close()
	alice := ss.Contact{Email: "alice@acme.com", Name: "Alice Ng"}
	sheet := f.AddSheet("Atlas plan", []ss.Column{
		{Title: "Task Name", Type: ss.TextNumber, Primary: true},
		{Title: "Status", Type: ss.Picklist, Options: []string{"Not Started", "In Progress", "Blocked", "Complete"}},
		{Title: "Assigned To", Type: ss.ContactList},
		{Title: "Finish", Type: ss.Date},
		{Title: "% Complete", Type: ss.TextNumber, Percent: true},
	})
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	phase := must(f.AddRow(sheet, 0, ss.Cells{"Task Name": "Phase 1", "Status": "In Progress"}))
	design := must(f.AddRow(sheet, phase, ss.Cells{"Task Name": "Design «ü» \"q\" \\ '; DROP", "Status": "Not Started", "Assigned To": alice, "Finish": "2026-03-01", "% Complete": 0.25}))
	build := must(f.AddRow(sheet, phase, ss.Cells{"Task Name": "Build", "Status": "Not Started"}))
	launch := must(f.AddRow(sheet, 0, ss.Cells{"Task Name": "Launch", "Status": "Not Started"}))

	dir := t.TempDir()
	cfg := fmt.Sprintf("tenant: acme\nsources:\n  - name: plans\n    kind: smartsheet\n    url: %s/2.0\n    auth: {token: \"${T_SS_TOKEN}\"}\n    sheets:\n      - {id: %d, entity: work_items}\n", srv.URL, sheet)
	os.WriteFile(filepath.Join(dir, "pmohub.yaml"), []byte(cfg), 0o644)
	env := []string{"T_SS_TOKEN=ss-token-12345"}
	sync := func() {
		t.Helper()
		if out, errs, code := pmohub(t, dir, env, "sync"); code != 0 {
			t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
		}
	}
	items := func() map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, r := range queryJSON(t, dir, "SELECT native_id, title, status, status_category, parent_id, assignee_id, toString(due_date) AS due FROM work_items WHERE tenant = 'acme'") {
			out[r["native_id"].(string)] = r
		}
		return out
	}
	id := func(row int64) string { return fmt.Sprintf("%d/%d", sheet, row) }

	sync()
	got := items()
	if len(got) != 4 || got[id(design)]["title"] != "Design «ü» \"q\" \\ '; DROP" || got[id(design)]["due"] != "2026-03-01" {
		t.Fatalf("first sync: %v", got)
	}
	if !strings.HasSuffix(fmt.Sprint(got[id(design)]["parent_id"]), id(phase)) || got[id(launch)]["parent_id"] != "" {
		t.Fatalf("hierarchy: design parent %v, launch parent %v", got[id(design)]["parent_id"], got[id(launch)]["parent_id"])
	}

	// unchanged: one request for the one sheet
	f.ResetRequests()
	sync()
	if n := len(f.Requests()); n != 1 {
		t.Fatalf("unchanged sheet cost %d requests: %+v", n, f.Requests())
	}

	// an edit (a status change becomes a transition), an outdent and a deletion
	if err := f.UpdateRow(sheet, design, ss.Cells{"Status": "In Progress"}); err != nil {
		t.Fatal(err)
	}
	if err := f.MoveRow(sheet, build, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.DeleteRow(sheet, launch); err != nil {
		t.Fatal(err)
	}
	sync()
	got = items()
	if len(got) != 3 || got[id(launch)] != nil || got[id(design)]["status_category"] != "in_progress" || got[id(build)]["parent_id"] != "" {
		t.Fatalf("after edits: %v", got)
	}
	tr := queryJSON(t, dir, "SELECT from_value, to_value, to_category FROM transitions WHERE tenant = 'acme'")
	found := false
	for _, r := range tr {
		found = found || (r["from_value"] == "Not Started" && r["to_value"] == "In Progress" && r["to_category"] == "in_progress")
	}
	if !found {
		t.Fatalf("status change not recorded as a transition: %v", tr)
	}

	// a revoked token fails the source clearly and keeps what is stored
	f.RevokeToken("ss-token-12345")
	if err := f.UpdateRow(sheet, design, ss.Cells{"Status": "Complete"}); err != nil {
		t.Fatal(err)
	}
	out, _, code := pmohub(t, dir, env, "sync")
	if code == 0 || !strings.Contains(out, "plans") || strings.Contains(out, "ss-token-12345") {
		t.Fatalf("revoked token: exit %d, %s", code, out)
	}
	if len(items()) != 3 {
		t.Fatal("stored rows lost after a failed sync")
	}
}
