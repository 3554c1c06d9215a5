package sheets

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	sf "github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// mapStored maps every stored row with the built-in mapping and returns rows per table
// as column → value.
func mapStored(t *testing.T, e *env) map[string][]map[string]any {
	t.Helper()
	m, err := mappings.DefaultFor("sheets", Kind().Mapping)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := m.Compile(mappings.Env{Tenant: "default", Source: "portfolio", SourceKind: "sheets"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]any{}
	var ids []string
	e.store.mu.Lock()
	recs := map[string]connectors.StoredRecord{}
	for id, r := range e.store.rows {
		ids = append(ids, id)
		recs[id] = r
	}
	e.store.mu.Unlock()
	sort.Strings(ids)
	for _, id := range ids {
		rows, probs := mp.Map(mappings.Record{Stream: StreamRows, NativeID: id, Payload: recs[id].Payload})
		for _, p := range probs {
			t.Logf("mapping problem: %+v", p)
		}
		for _, r := range rows {
			row := map[string]any{}
			for i, c := range r.Table.Columns {
				row[c.Name] = r.Values[i]
			}
			out[r.Table.Name] = append(out[r.Table.Name], row)
		}
	}
	return out
}

func find(rows []map[string]any, col, val string) map[string]any {
	for _, r := range rows {
		if r[col] == val {
			return r
		}
	}
	return nil
}

func TestDefaultMappingProducesCanonicalRows(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mustSync()
	e.tick(2 * time.Hour)
	must(t, e.fake.SetCell(demoID, "RAID Log", 2, 3, sf.T("In Progress"))) // R-1 starts
	startedAt := e.clock
	e.mustSync()

	got := mapStored(t, e)
	r1 := find(got[warehouse.WorkItems.Name], "key", "R-1")
	if r1 == nil {
		t.Fatalf("no work item R-1 in %v", got[warehouse.WorkItems.Name])
	}
	if r1["item_id"] != "portfolio:"+e.rowID("RAID Log", "R-1") || r1["status_category"] != "in_progress" || r1["type_category"] != "risk" || r1["title"] != "Vendor delay" {
		t.Errorf("R-1 = %v", r1)
	}
	if d, ok := r1["due_date"].(*time.Time); !ok || d == nil || !d.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("due_date = %v", r1["due_date"])
	}
	if s, ok := r1["started_at"].(*time.Time); !ok || s == nil || !s.Equal(startedAt) {
		t.Errorf("started_at = %v, want %s", r1["started_at"], startedAt)
	}
	if r3 := find(got[warehouse.WorkItems.Name], "key", "R-3"); r3 == nil || r3["status_category"] != "done" {
		t.Errorf("R-3 = %v", r3)
	}
	tr := got[warehouse.Transitions.Name]
	if len(tr) != 1 || tr[0]["from_category"] != "todo" || tr[0]["to_category"] != "in_progress" || tr[0]["item_id"] != r1["item_id"] {
		t.Errorf("transitions = %v", tr)
	}
	p1 := find(got[warehouse.Projects.Name], "project_id", "PRJ-001")
	if p1 == nil || p1["health"] != "green" || p1["name"] != "Alpha launch" {
		t.Fatalf("project PRJ-001 = %v", p1)
	}
	if pc, ok := p1["percent_complete"].(*float64); !ok || pc == nil || *pc != 45 {
		t.Errorf("percent_complete = %v", p1["percent_complete"])
	}
	if p2 := find(got[warehouse.Projects.Name], "project_id", "PRJ-002"); p2 == nil || p2["health"] != "amber" {
		t.Errorf("PRJ-002 = %v", p2)
	}
	var members []string
	for _, m := range got[warehouse.ProjectMembers.Name] {
		members = append(members, m["project_id"].(string)+" "+m["member_kind"].(string)+":"+m["member_ref"].(string))
	}
	sort.Strings(members)
	want := []string{"PRJ-001 github_repo:acme/api", "PRJ-001 github_repo:acme/web", "PRJ-001 jira_project:ALPHA", "PRJ-002 jira_project:BILL"}
	if b1, b2 := mustJSON(members), mustJSON(want); b1 != b2 {
		t.Errorf("project_members = %s, want %s", b1, b2)
	}
	if len(got[warehouse.People.Name]) == 0 {
		t.Error("no people from Owner")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
