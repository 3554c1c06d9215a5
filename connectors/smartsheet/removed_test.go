package smartsheet

import (
	"fmt"
	"strings"
	"testing"
)

func TestSheetRemovedFromConfigLeavesTheViews(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan A")
	q := addPlan(t, f, "Plan B")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n  - {id: %d}\n", p.sheet, q.sheet))
	h.mustSync()
	if h.store.count(StreamRows) != 8 || h.store.count(StreamSheets) != 2 {
		t.Fatalf("stored %d rows, %d sheets", h.store.count(StreamRows), h.store.count(StreamSheets))
	}
	// Plan B removed from pmohub.yaml: its rows and its sheet record go, at no request.
	conn := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet)).conn
	h.conn = conn
	f.ResetRequests()
	n := h.mustSync()
	if h.store.count(StreamRows) != 4 || h.store.count(StreamSheets) != 1 {
		t.Fatalf("after removal: %d rows, %d sheets stored", h.store.count(StreamRows), h.store.count(StreamSheets))
	}
	h.store.row(t, rid(p.sheet, p.design))
	for _, r := range f.Requests() {
		if strings.Contains(r.Path, fmt.Sprint(q.sheet)) {
			t.Fatalf("asked about the removed sheet: %+v", r)
		}
	}
	if n != 1 {
		t.Errorf("%d requests, want 1 (plan A unchanged)", n)
	}
	// Configured again: read in full, the rows come back.
	h.conn = newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n  - {id: %d}\n", p.sheet, q.sheet)).conn
	h.mustSync()
	if h.store.count(StreamRows) != 8 || h.store.count(StreamSheets) != 2 {
		t.Fatalf("after re-adding: %d rows, %d sheets", h.store.count(StreamRows), h.store.count(StreamSheets))
	}
}

func TestSheetGoneFromWorkspace(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan A")
	q := addPlan(t, f, "Plan B")
	pmo := f.AddWorkspace("PMO", p.sheet, q.sheet)
	other := f.AddWorkspace("Archive")
	h := newHarness(t, f, "workspaces: [PMO]\n")
	h.mustSync()
	if h.store.count(StreamRows) != 8 {
		t.Fatalf("stored %d rows", h.store.count(StreamRows))
	}

	// Unshared: the workspace no longer lists it and reading it answers 403. That is an
	// error, not an empty sheet: its rows stay.
	f.SetPrivate(q.sheet, true)
	h.conn.resolved = nil // the workspace listing is cached for ten minutes
	if _, err := h.syncAll(); err == nil || !strings.Contains(err.Error(), "no longer in workspace") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("unshared sheet: err = %v", err)
	}
	if h.store.count(StreamRows) != 8 || h.store.count(StreamSheets) != 2 {
		t.Fatalf("an unshared sheet lost rows: %d rows, %d sheets", h.store.count(StreamRows), h.store.count(StreamSheets))
	}

	// Shared again but moved to another workspace: it is readable and no longer in PMO, so
	// its rows leave the views.
	f.SetPrivate(q.sheet, false)
	f.SetWorkspaceSheets(pmo, p.sheet)
	f.SetWorkspaceSheets(other, q.sheet)
	h.conn.resolved = nil
	h.mustSync()
	if h.store.count(StreamRows) != 4 || h.store.count(StreamSheets) != 1 {
		t.Fatalf("moved sheet: %d rows, %d sheets stored", h.store.count(StreamRows), h.store.count(StreamSheets))
	}
}
