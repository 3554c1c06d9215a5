package smartsheet

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// mapAll maps every stored record with the default mapping, by table and key.
func mapAll(t *testing.T, h *harness) map[string]map[string]map[string]any {
	t.Helper()
	m, err := mappings.DefaultFor("smartsheet", defaultMapping)
	if err != nil {
		t.Fatalf("default mapping: %v", err)
	}
	mp, err := m.Compile(mappings.Env{Tenant: "default", Source: "plans", SourceKind: "smartsheet", SourceURL: h.srv.URL + "/2.0"})
	if err != nil {
		t.Fatalf("compile default mapping: %v", err)
	}
	out := map[string]map[string]map[string]any{}
	for _, stream := range []string{StreamRows, StreamSheets} {
		for id, rec := range h.store.Recs[stream] {
			rows, problems := mp.Map(mappings.Record{Stream: stream, NativeID: id, Payload: rec.Payload})
			for _, p := range problems {
				t.Logf("mapping problem: %+v", p)
			}
			for _, r := range rows {
				vals := map[string]any{}
				for i, c := range r.Table.Columns {
					vals[c.Name] = r.Values[i]
				}
				if out[r.Table.Name] == nil {
					out[r.Table.Name] = map[string]map[string]any{}
				}
				out[r.Table.Name][r.Key] = vals
			}
		}
	}
	return out
}

func TestDefaultMappingProducesCanonicalRows(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	h.mustSync()
	f.UpdateRow(p.sheet, p.design, ss.Cells{"Status": "In Progress"})
	h.mustSync()
	f.UpdateRow(p.sheet, p.design, ss.Cells{"Status": "Blocked"})
	h.mustSync()
	got := mapAll(t, h)
	item := got[warehouse.WorkItems.Name][fmt.Sprintf("plans:%d/%d", p.sheet, p.design)]
	if item == nil {
		t.Fatalf("no work item for design; have %v", keys(got[warehouse.WorkItems.Name]))
	}
	d := h.store.row(t, rid(p.sheet, p.design))
	started, _ := time.Parse(time.RFC3339, d.StatusHistory[0].At)
	checks := map[string]any{
		"title": "Design", "status": "Blocked", "status_category": "in_progress", "type_category": "task",
		"assignee_id": "plans:alice@example.com", "parent_id": fmt.Sprintf("plans:%d/%d", p.sheet, p.phase),
		"scope": fmt.Sprintf("smartsheet_sheet:%d", p.sheet),
	}
	for k, w := range checks {
		if item[k] != w {
			t.Errorf("work_items.%s = %#v, want %#v", k, item[k], w)
		}
	}
	if e, ok := item["estimate"].(*float64); !ok || e == nil || *e != 5 {
		t.Errorf("estimate %#v, want 5 (days)", item["estimate"])
	}
	if s, ok := item["started_at"].(*time.Time); !ok || s == nil || !s.Equal(started) {
		t.Errorf("started_at %#v, want %v", item["started_at"], started)
	}
	if due, ok := item["due_date"].(*time.Time); !ok || due == nil || due.Format("2006-01-02") != "2026-02-06" {
		t.Errorf("due_date %#v", item["due_date"])
	}
	attrs, _ := item["attributes"].(map[string]string)
	if attrs["blocked"] != "true" || attrs["percent_complete"] != "50" {
		t.Errorf("attributes %v", attrs)
	}
	if ph := got[warehouse.WorkItems.Name][fmt.Sprintf("plans:%d/%d", p.sheet, p.phase)]; ph["type_category"] != "epic" {
		t.Errorf("phase type_category %v", ph["type_category"])
	}
	if ms := got[warehouse.WorkItems.Name][fmt.Sprintf("plans:%d/%d", p.sheet, p.launch)]; ms["type_category"] != "milestone" {
		t.Errorf("milestone type_category %v", ms["type_category"])
	}
	if n := len(got[warehouse.Transitions.Name]); n != 2 {
		t.Errorf("%d transitions, want 2", n)
	}
	if _, ok := got[warehouse.People.Name]["plans:alice@example.com"]; !ok {
		t.Errorf("people %v", keys(got[warehouse.People.Name]))
	}
	if n := len(got[warehouse.ProjectMembers.Name]); n != 1 {
		t.Errorf("project_members %v", got[warehouse.ProjectMembers.Name])
	}
	if n := len(got[warehouse.Links.Name]); n != 3 { // two tasks under the phase, one dependency
		t.Errorf("links %v", keys(got[warehouse.Links.Name]))
	}
	b, _ := json.Marshal(got[warehouse.Transitions.Name])
	t.Logf("transitions: %s", b)
}
