package jira

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// mapStored maps every stored record of the harness with the default mapping.
func mapStored(t *testing.T, h *harness) (rows map[*warehouse.Table][]map[string]any) {
	t.Helper()
	m, err := mappings.DefaultFor("jira", defaultMapping)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := m.Compile(mappings.Env{Tenant: "acme", Source: "jira-main", SourceKind: "jira", SourceURL: h.fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range mp.LookupStreams() {
		var recs []connectors.StoredRecord
		_ = h.store.Records(t.Context(), st, nil, func(r connectors.StoredRecord) error { recs = append(recs, r); return nil })
		if err := mp.SetLookup(st, recs); err != nil {
			t.Fatal(err)
		}
	}
	rows = map[*warehouse.Table][]map[string]any{}
	for _, st := range mp.Streams() {
		var recs []connectors.StoredRecord
		_ = h.store.Records(t.Context(), st, nil, func(r connectors.StoredRecord) error { recs = append(recs, r); return nil })
		for _, r := range recs {
			out, probs := mp.Map(mappings.Record{Stream: st, NativeID: r.NativeID, Payload: r.Payload})
			for _, p := range probs {
				t.Errorf("mapping problem: %+v", p)
			}
			for _, row := range out {
				m := map[string]any{}
				for i, c := range row.Table.Columns {
					m[c.Name] = row.Values[i]
				}
				rows[row.Table] = append(rows[row.Table], m)
			}
		}
	}
	return rows
}

func find1(t *testing.T, rows []map[string]any, col, val string) map[string]any {
	t.Helper()
	for _, r := range rows {
		if r[col] == val {
			return r
		}
	}
	t.Fatalf("no row with %s = %s", col, val)
	return nil
}

func TestDefaultMapping(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 0)
	h.clock.Advance(time.Hour)
	h.fake.Transition("ALPHA-2", "3", bo) // story starts
	h.clock.Advance(time.Hour)
	h.fake.Transition("ALPHA-2", "5", bo) // and is done
	h.mustSync(false)
	rows := mapStored(t, h)
	id := func(key string) string { return "jira-main:" + fmt.Sprint(h.fake.Issue(key).ID) }

	items := rows[warehouse.WorkItems]
	if len(items) != len(inScope(h.fake)) {
		t.Fatalf("%d work_items, want %d", len(items), len(inScope(h.fake)))
	}
	story := find1(t, items, "key", "ALPHA-2")
	start := h.fake.Issue("ALPHA-2").Changelog[0].Created.Truncate(time.Minute)
	for col, want := range map[string]any{
		"item_id": id("ALPHA-2"), "type_category": "story", "status": "Done", "status_category": "done",
		"estimate": pts(5), "sprint": "Sprint 7", "parent_id": id("ALPHA-1"), "assignee_id": "jira-main:acc-bo",
		"reporter_id": "jira-main:acc-ana", "scope": "jira_project:ALPHA", "labels": []string{"payments"},
		"started_at": &start, "project_id": "jira-main:10000",
	} {
		got := story[col]
		if tp, ok := got.(*time.Time); ok && tp != nil {
			if w := want.(*time.Time); !tp.Truncate(time.Minute).Equal(*w) {
				t.Errorf("story %s = %v, want %v", col, tp, w)
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("story %s = %#v, want %#v", col, got, want)
		}
	}
	if r := story["resolved_at"].(*time.Time); r == nil || !r.After(start) {
		t.Errorf("resolved_at = %v", r)
	}
	for key, want := range map[string][2]string{
		"ALPHA-1": {"epic", "todo"}, "ALPHA-3": {"subtask", "todo"}, "BETA-1": {"bug", "cancelled"}, "BETA-2": {"task", "in_progress"},
	} {
		r := find1(t, items, "key", key)
		if r["type_category"] != want[0] || r["status_category"] != want[1] {
			t.Errorf("%s: %v/%v, want %v", key, r["type_category"], r["status_category"], want)
		}
	}

	// Transitions: every status change of the 61-change history, with categories.
	var long []map[string]any
	for _, r := range rows[warehouse.Transitions] {
		if r["item_id"] == id("BETA-2") {
			long = append(long, r)
		}
	}
	if len(long) != 60 {
		t.Errorf("BETA-2 transitions = %d, want 60", len(long))
	}
	sort.Slice(long, func(i, j int) bool { return long[i]["at"].(time.Time).Before(long[j]["at"].(time.Time)) })
	if len(long) > 0 && (long[0]["from_category"] != "todo" || long[0]["to_category"] != "in_progress") {
		t.Errorf("first transition %v", long[0])
	}

	if n := len(rows[warehouse.ProjectMembers]); n != 2 {
		t.Errorf("project_members = %d, want 2", n)
	}
	pm := find1(t, rows[warehouse.ProjectMembers], "member_ref", "ALPHA")
	if pm["member_kind"] != "jira_project" || pm["project_id"] != "jira-main:10000" {
		t.Errorf("project member %v", pm)
	}
	find1(t, rows[warehouse.People], "person_id", "jira-main:acc-ana")
	if p := find1(t, rows[warehouse.People], "person_id", "jira-main:acc-bo"); p["display_name"] != "Bo Chen" {
		t.Errorf("person %v", p)
	}
	parent := find1(t, rows[warehouse.Links], "from_id", id("ALPHA-2"))
	if parent["to_id"] != id("ALPHA-1") || parent["kind"] != "parent" {
		t.Errorf("parent link %v", parent)
	}
}
