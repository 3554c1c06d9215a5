package smartsheet

import (
	"fmt"
	"reflect"
	"testing"

	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

func TestFirstSyncTypesCellsByColumnType(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Website relaunch")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	if n := h.mustSync(); n != 1 {
		t.Errorf("first sync of a 4-row sheet cost %d requests, want 1 (rows; the sheets stream reuses it)", n)
	}
	if got := h.store.count(StreamRows); got != 4 {
		t.Fatalf("stored %d rows, want 4", got)
	}
	d := h.store.row(t, rid(p.sheet, p.design))
	want := map[string]any{
		"Task Name": "Design", "Status": "Not Started",
		"Assigned To": map[string]any{"email": "alice@example.com", "name": "Alice Ng"},
		"Team":        []any{map[string]any{"email": "alice@example.com", "name": "Alice Ng"}, map[string]any{"email": "bob@example.com", "name": "Bob Okafor"}},
		"Tags":        []any{"ux", "backend"}, "Start": "2026-02-02", "Finish": "2026-02-06", "Reviewed": "2026-01-30T14:30:00Z",
		"% Complete": 50.0, "At Risk": true, "Duration": 5.0, "Predecessors": nil, "Notes": 42.0,
		"Modified By": map[string]any{"email": "pmo@example.com", "name": "PMO Lead"}, "Row ID": "T-0002",
	}
	for col, w := range want {
		if got := d.Cells[col]; !reflect.DeepEqual(got, w) {
			t.Errorf("cell %q = %#v, want %#v", col, got, w)
		}
	}
	if created, _ := d.Cells["Created"].(string); created != d.CreatedAt || created == "" {
		t.Errorf("Created system cell %q, row created_at %q", created, d.CreatedAt)
	}
	if d.ParentNativeID != rid(p.sheet, p.phase) || d.Depth != 1 || d.HasChildren || d.RowKind != "task" {
		t.Errorf("design hierarchy: parent %q depth %d children %v kind %q", d.ParentNativeID, d.Depth, d.HasChildren, d.RowKind)
	}
	if d.Title != "Design" || d.Assignee == nil || d.Assignee.Email != "alice@example.com" {
		t.Errorf("title %q assignee %+v", d.Title, d.Assignee)
	}
	if len(d.Contacts) != 3 { // alice, bob, and the writer
		t.Errorf("contacts %+v, want alice, bob and the writer", d.Contacts)
	}
	b := h.store.row(t, rid(p.sheet, p.build))
	preds, _ := b.Cells["Predecessors"].([]any)
	if len(preds) != 1 || preds[0].(map[string]any)["row_id"].(float64) != float64(p.design) || preds[0].(map[string]any)["lag_days"].(float64) != 2 {
		t.Errorf("predecessors %#v", b.Cells["Predecessors"])
	}
	wantLinks := []Link{{From: rid(p.sheet, p.build), To: rid(p.sheet, p.phase), Kind: "parent"}, {From: rid(p.sheet, p.design), To: rid(p.sheet, p.build), Kind: "blocks"}}
	if !reflect.DeepEqual(b.Links, wantLinks) {
		t.Errorf("links %+v, want %+v", b.Links, wantLinks)
	}
	if ph := h.store.row(t, rid(p.sheet, p.phase)); !ph.HasChildren || ph.RowKind != "phase" || ph.Depth != 0 {
		t.Errorf("phase: children %v kind %q depth %d", ph.HasChildren, ph.RowKind, ph.Depth)
	}
	if l := h.store.row(t, rid(p.sheet, p.launch)); l.RowKind != "milestone" {
		t.Errorf("zero-duration row kind %q, want milestone", l.RowKind)
	}
	sh := h.store.sheet(t, p.sheet)
	if len(sh.Members) != 1 || sh.Members[0] != (Member{ProjectID: fmt.Sprintf("plans:%d", p.sheet), Kind: "smartsheet_sheet", Ref: fmt.Sprint(p.sheet)}) {
		t.Errorf("sheet members %+v", sh.Members)
	}
	if len(sh.Columns) != len(planColumns()) || sh.Name != "Website relaunch" {
		t.Errorf("sheet record %q with %d columns", sh.Name, len(sh.Columns))
	}
}

func TestUnchangedSheetsCostOneRequestEach(t *testing.T) {
	f := newFake()
	cfg := "sheets:\n"
	for i := range 10 {
		p := addPlan(t, f, fmt.Sprintf("Plan %d", i))
		cfg += fmt.Sprintf("  - {id: %d}\n", p.sheet)
	}
	h := newHarness(t, f, cfg)
	h.mustSync()
	pages := h.store.pages
	if n := h.mustSync(); n != 10 {
		t.Errorf("ten unchanged sheets cost %d requests, want 10", n)
	}
	if h.store.pages != pages {
		t.Errorf("an unchanged sync emitted %d pages", h.store.pages-pages)
	}
}

func TestEditsBecomeTransitionsAtModifiedAt(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	h.mustSync()
	if err := f.UpdateRow(p.sheet, p.design, ss.Cells{"Status": "In Progress"}); err != nil {
		t.Fatal(err)
	}
	pages := h.store.pages
	if n := h.mustSync(); n != 2 {
		t.Errorf("one edited row cost %d requests, want 2 (changed rows + id sweep)", n)
	}
	d := h.store.row(t, rid(p.sheet, p.design))
	if len(d.StatusHistory) != 1 {
		t.Fatalf("status history %+v, want one change", d.StatusHistory)
	}
	ch := d.StatusHistory[0]
	if ch.From != "Not Started" || ch.To != "In Progress" || ch.At != d.ModifiedAt || ch.By != "pmo@example.com" || ch.ID != fmt.Sprintf("v%d", f.Version(p.sheet)) {
		t.Errorf("change %+v (modified_at %s, version %d)", ch, d.ModifiedAt, f.Version(p.sheet))
	}
	if h.store.pages-pages != 2 { // one rows page, one sheets page
		t.Errorf("emitted %d pages", h.store.pages-pages)
	}
	if err := f.UpdateRow(p.sheet, p.design, ss.Cells{"Status": "Complete"}); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	d = h.store.row(t, rid(p.sheet, p.design))
	if len(d.StatusHistory) != 2 || d.StatusHistory[1].From != "In Progress" || d.StatusHistory[1].To != "Complete" {
		t.Errorf("history after second change %+v", d.StatusHistory)
	}
	// A re-read of the same data (lost cursor) keeps the history and adds nothing.
	h.store.Cursors[StreamRows] = nil
	h.mustSync()
	if again := h.store.row(t, rid(p.sheet, p.design)); !reflect.DeepEqual(again.StatusHistory, d.StatusHistory) {
		t.Errorf("re-read changed history: %+v", again.StatusHistory)
	}
}

func TestIndentOutdentAndDeletions(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	h.mustSync()
	// Indent Launch under the phase, outdent Build: neither touches modifiedAt.
	if err := f.MoveRow(p.sheet, p.launch, p.phase); err != nil {
		t.Fatal(err)
	}
	if err := f.MoveRow(p.sheet, p.build, 0); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	if l := h.store.row(t, rid(p.sheet, p.launch)); l.ParentNativeID != rid(p.sheet, p.phase) || l.Depth != 1 {
		t.Errorf("indented row: parent %q depth %d", l.ParentNativeID, l.Depth)
	}
	if b := h.store.row(t, rid(p.sheet, p.build)); b.ParentNativeID != "" || b.Depth != 0 {
		t.Errorf("outdented row: parent %q depth %d", b.ParentNativeID, b.Depth)
	}
	// Deleting the phase deletes its children.
	if err := f.DeleteRow(p.sheet, p.phase); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	if got := keys(h.store.Recs[StreamRows]); !reflect.DeepEqual(got, []string{rid(p.sheet, p.build)}) {
		t.Errorf("after deleting the phase, stored rows %v", got)
	}
}

func TestColumnRenameAndRetypeReReadTheSheet(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	h.mustSync()
	if err := f.RenameColumn(p.sheet, "Notes", "Comments"); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	d := h.store.row(t, rid(p.sheet, p.design))
	if _, old := d.Cells["Notes"]; old || d.Cells["Comments"] != 42.0 {
		t.Errorf("after rename cells %v", d.Cells)
	}
	if l := h.logText(); !contains(l, `column \"Notes\" renamed to \"Comments\"`) || !contains(l, "Plan") {
		t.Errorf("no rename warning naming sheet and column in log:\n%s", l)
	}
	if err := f.SetColumnType(p.sheet, "At Risk", ss.TextNumber); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	if d := h.store.row(t, rid(p.sheet, p.design)); d.Cells["At Risk"] != "true" {
		t.Errorf("retyped checkbox cell = %#v, want text", d.Cells["At Risk"])
	}
	if !contains(h.logText(), "retyped from CHECKBOX to TEXT_NUMBER") {
		t.Error("no retype warning")
	}
}
