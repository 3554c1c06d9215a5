package smartsheet

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

func TestRegisterFillsProjectsAndMembers(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Alpha plan")
	reg := f.AddSheet("Portfolio register", []ss.Column{
		{Title: "Project Name", Type: ss.TextNumber}, {Title: "Project ID", Type: ss.TextNumber},
		{Title: "Owner", Type: ss.ContactList}, {Title: "Health", Type: ss.Picklist},
		{Title: "Smartsheet", Type: ss.TextNumber}, {Title: "Jira Project", Type: ss.TextNumber},
	})
	alpha, _ := f.AddRow(reg, 0, ss.Cells{"Project Name": "Alpha", "Project ID": "PRJ-001", "Owner": alice, "Health": "Green", "Smartsheet": float64(p.sheet), "Jira Project": "ALPHA, ALPHAOPS"})
	f.AddRow(reg, 0, ss.Cells{"Project Name": "Beta", "Project ID": "PRJ-002", "Health": "Red"})
	f.AddRow(reg, 0, ss.Cells{"Project Name": "Beta again", "Project ID": "PRJ-002"})
	f.AddRow(reg, 0, ss.Cells{"Project Name": "No id yet"})
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d, project: PRJ-001}\n  - {id: %d, entity: projects, key: Project ID}\n", p.sheet, reg))
	h.mustSync()
	a := h.store.row(t, fmt.Sprintf("%d/PRJ-001", reg))
	if a.Key != "PRJ-001" || a.Title != "Alpha" || a.Sheet.Entity != "projects" || a.ID != alpha {
		t.Errorf("register row %+v", a)
	}
	if got := h.store.count(StreamRows); got != 4+2 {
		t.Errorf("stored %d rows; duplicate and empty keys must be skipped", got)
	}
	logs := h.logText()
	if !strings.Contains(logs, "duplicate_key") || !strings.Contains(logs, "empty_key") || !strings.Contains(logs, "Portfolio register") {
		t.Errorf("key problems not reported by sheet:\n%s", logs)
	}
	wantMembers := []Member{
		{ProjectID: "PRJ-001", Kind: "jira_project", Ref: "ALPHA"},
		{ProjectID: "PRJ-001", Kind: "jira_project", Ref: "ALPHAOPS"},
		{ProjectID: "PRJ-001", Kind: "smartsheet_sheet", Ref: fmt.Sprint(p.sheet)},
	}
	if got := h.store.sheet(t, reg).Members; !reflect.DeepEqual(got, wantMembers) {
		t.Errorf("register members %+v, want %+v", got, wantMembers)
	}
	if got := h.store.sheet(t, p.sheet).Members; len(got) != 1 || got[0].ProjectID != "PRJ-001" {
		t.Errorf("plan members %+v", got)
	}
	// Work items of the plan carry the configured project.
	if d := h.store.row(t, rid(p.sheet, p.design)); d.Sheet.Project != "PRJ-001" {
		t.Errorf("plan row project %q", d.Sheet.Project)
	}
	// Deleting a keyed register row tombstones its key.
	f.DeleteRow(reg, alpha)
	h.mustSync()
	if _, ok := h.store.Recs[StreamRows][fmt.Sprintf("%d/PRJ-001", reg)]; ok {
		t.Error("deleted register row still stored")
	}
	if got := h.store.sheet(t, reg).Members; len(got) != 0 {
		t.Errorf("members after deleting the project row: %+v", got)
	}
}

func TestExactStatusHistoryUsesCellHistory(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	f.UpdateRow(p.sheet, p.design, ss.Cells{"Status": "In Progress"})
	f.UpdateRow(p.sheet, p.design, ss.Cells{"Status": "Complete"})
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d, history: [Status]}\n", p.sheet))
	h.mustSync()
	d := h.store.row(t, rid(p.sheet, p.design))
	var got []string
	for _, c := range d.StatusHistory {
		got = append(got, c.From+">"+c.To)
	}
	if want := []string{">Not Started", "Not Started>In Progress", "In Progress>Complete"}; !reflect.DeepEqual(got, want) {
		t.Errorf("exact history %v, want %v", got, want)
	}
	history := 0
	for _, r := range f.Requests() {
		if strings.HasSuffix(r.Path, "/history") {
			history++
		}
	}
	if history != 4 { // one per row on the first read
		t.Errorf("%d cell-history requests, want 4", history)
	}
	// Only changed rows read their history afterwards.
	f.ResetRequests()
	f.UpdateRow(p.sheet, p.build, ss.Cells{"Status": "In Progress"})
	h.mustSync()
	history = 0
	for _, r := range f.Requests() {
		if strings.HasSuffix(r.Path, "/history") {
			history++
		}
	}
	if history != 1 {
		t.Errorf("%d cell-history requests for one changed row", history)
	}
}

func TestWorkspacesAddTheirSheets(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "In PMO")
	q := addPlan(t, f, "Elsewhere")
	f.AddWorkspace("Engineering", q.sheet)
	f.AddWorkspace("PMO", p.sheet)
	h := newHarness(t, f, "workspaces: [PMO]\n")
	h.mustSync()
	if h.store.count(StreamRows) != 4 {
		t.Errorf("stored %d rows, want the PMO workspace's 4", h.store.count(StreamRows))
	}
	h2 := newHarness(t, f, "workspaces: [Finance]\n")
	if _, err := h2.syncAll(); err == nil || !strings.Contains(err.Error(), `workspace "Finance" not found`) {
		t.Errorf("unknown workspace: %v", err)
	}
}

func TestLimiterPacesRequests(t *testing.T) {
	l := NewLimiter(60) // one a second, bursts of 10
	var slept float64
	now := l.Now()
	l.Now = func() time.Time { return now }
	l.Sleep = func(_ context.Context, d time.Duration) error { slept += d.Seconds(); now = now.Add(d); return nil }
	for range 10 {
		if err := l.Wait(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	if slept != 0 {
		t.Errorf("a burst of 10 slept %.1fs", slept)
	}
	if err := l.Wait(context.Background(), historyCost); err != nil {
		t.Fatal(err)
	}
	if slept < 9.9 || slept > 10.1 {
		t.Errorf("a ten-request call after the burst slept %.1fs, want 10s", slept)
	}
}

// TestMappingAsksForExactStatusHistory: exact_history on the mapping's transitions block
// asks for cell history as the sheet's history setting does; without either, none is read.
func TestMappingAsksForExactStatusHistory(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	f.UpdateRow(p.sheet, p.design, ss.Cells{"Status": "In Progress"})
	cellHistory := func() int {
		n := 0
		for _, r := range f.Requests() {
			if strings.HasSuffix(r.Path, "/history") {
				n++
			}
		}
		return n
	}
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	h.mapping = mapperFor(t, "extends: default\n")
	h.mustSync()
	if n := cellHistory(); n != 0 {
		t.Fatalf("%d cell-history requests without anyone asking", n)
	}
	f.ResetRequests()
	h2 := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	h2.mapping = mapperFor(t, "extends: default\nentities:\n  transitions:\n    exact_history: [Status]\n")
	h2.mustSync()
	if n := cellHistory(); n != 4 {
		t.Errorf("%d cell-history requests, want one per row (4)", n)
	}
	var got []string
	for _, c := range h2.store.row(t, rid(p.sheet, p.design)).StatusHistory {
		got = append(got, c.From+">"+c.To)
	}
	if want := []string{">Not Started", "Not Started>In Progress"}; !reflect.DeepEqual(got, want) {
		t.Errorf("exact history %v, want %v", got, want)
	}
}
