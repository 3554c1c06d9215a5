package mappings

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/warehouse"
)

var jiraEnv = Env{Tenant: "acme", Source: "jira-main", SourceKind: "jira", SourceURL: "https://acme.atlassian.net/"}

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jiraMapper compiles testdata/jira.yaml and loads the statuses lookup.
func jiraMapper(t testing.TB) *Mapper {
	t.Helper()
	m, err := Parse("jira.yaml", read(t, "testdata/jira.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return compileJira(t, m)
}

// compileJira compiles a Jira mapping and loads the statuses lookup it reads.
func compileJira(t testing.TB, m *Mapping) *Mapper {
	t.Helper()
	mp, err := m.Compile(jiraEnv)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []json.RawMessage
	if err := json.Unmarshal(read(t, "testdata/statuses.json"), &statuses); err != nil {
		t.Fatal(err)
	}
	var recs []connectors.StoredRecord
	for _, s := range statuses {
		var id struct{ ID string }
		_ = json.Unmarshal(s, &id)
		recs = append(recs, connectors.StoredRecord{NativeID: id.ID, Payload: s})
	}
	if err := mp.SetLookup("statuses", recs); err != nil {
		t.Fatal(err)
	}
	return mp
}

// rowsOf returns the rows of one table as column name → value.
func rowsOf(rows []Row, t *warehouse.Table) []map[string]any {
	var out []map[string]any
	for _, r := range rows {
		if r.Table != t {
			continue
		}
		m := map[string]any{}
		for i, c := range t.Columns {
			m[c.Name] = r.Values[i]
		}
		out = append(out, m)
	}
	return out
}

func tp(s string) *time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	t = t.UTC()
	return &t
}

func fp(f float64) *float64 { return &f }

func TestJiraIssueWithChangelog(t *testing.T) {
	mp := jiraMapper(t)
	if got := mp.Streams(); !reflect.DeepEqual(got, []string{"issues"}) {
		t.Errorf("Streams = %v", got)
	}
	if got := mp.LookupStreams(); !reflect.DeepEqual(got, []string{"statuses"}) {
		t.Errorf("LookupStreams = %v", got)
	}
	rows, probs := mp.Map(Record{Stream: "issues", NativeID: "10042", Payload: read(t, "testdata/issue-with-changelog.json")})
	if len(probs) != 0 {
		t.Errorf("problems: %+v", probs)
	}
	items := rowsOf(rows, warehouse.WorkItems)
	if len(items) != 1 {
		t.Fatalf("work_items rows = %d", len(items))
	}
	want := map[string]any{
		"item_id": "jira-main:10042", "source_kind": "jira", "native_id": "10042", "key": "ALPHA-12",
		"url": "https://acme.atlassian.net/browse/ALPHA-12", "scope": "jira_project:ALPHA", "project_id": "",
		"title": "Checkout fails for EU cards", "item_type": "Story", "type_category": "story",
		"status": "In Review", "status_category": "in_progress", "priority": "High",
		"assignee_id": "jira-main:5b10a2844c20165700ede21g", "reporter_id": "jira-main:5b10ac8d82e05b22cc7d4ef5",
		"parent_id": "jira-main:10040", "labels": []string{"payments", "eu"}, "sprint": "Sprint 8",
		"estimate":    fp(5),
		"created_at":  tp("2024-01-02T09:00:00Z"),
		"updated_at":  tp("2024-01-05T16:30:12.345Z"),
		"started_at":  tp("2024-01-03T08:00:00Z"),
		"resolved_at": (*time.Time)(nil),
		"due_date":    tp("2024-02-01T00:00:00Z"),
		"start_date":  (*time.Time)(nil),
		"attributes":  map[string]string{"team": "Payments Squad", "components": "Checkout,API"},
	}
	for k, w := range want {
		if g := items[0][k]; !reflect.DeepEqual(g, w) {
			t.Errorf("work_items.%s = %#v, want %#v", k, deref(g), deref(w))
		}
	}
	if len(want) != len(warehouse.WorkItems.Columns) {
		t.Errorf("test covers %d of %d columns", len(want), len(warehouse.WorkItems.Columns))
	}

	tx := rowsOf(rows, warehouse.Transitions)
	if len(tx) != 2 {
		t.Fatalf("transitions = %d, want 2 (labels change filtered out)", len(tx))
	}
	if tx[0]["transition_id"] != "20001:status" || tx[0]["from_category"] != "todo" || tx[0]["to_category"] != "in_progress" ||
		tx[0]["at"] != time.Date(2024, 1, 3, 8, 0, 0, 0, time.UTC) || tx[0]["author_id"] != "jira-main:5b10a2844c20165700ede21g" {
		t.Errorf("transition 0 = %v", tx[0])
	}
	if tx[1]["to_value"] != "In Review" || tx[1]["to_category"] != "in_progress" || tx[1]["from_value"] != "In Progress" {
		t.Errorf("transition 1 = %v", tx[1])
	}
	people := rowsOf(rows, warehouse.People)
	if len(people) != 2 {
		t.Fatalf("people = %v, want assignee and reporter once each", people)
	}
	for _, r := range rows {
		if r.Table == warehouse.People && !r.Shared {
			t.Error("people rows must be shared")
		}
		if r.Table == warehouse.WorkItems && (r.Shared || r.Key != "jira-main:10042") {
			t.Errorf("work item row key %q shared %v", r.Key, r.Shared)
		}
		if r.Table == warehouse.Transitions && r.Key != r.Values[0].(string)+"\x00"+r.Values[1].(string) {
			t.Errorf("transition key %q", r.Key)
		}
	}
	pm := rowsOf(rows, warehouse.ProjectMembers)
	if len(pm) != 1 || pm[0]["member_ref"] != "ALPHA" || pm[0]["project_id"] != "jira-main:project:ALPHA" {
		t.Errorf("project_members = %v", pm)
	}
}

func deref(v any) any {
	switch x := v.(type) {
	case *time.Time:
		if x != nil {
			return *x
		}
	case *float64:
		if x != nil {
			return *x
		}
	}
	return v
}

// The fixtures from the Jira API docs and client libraries map without a single problem
// beyond the ones their data really has.
func TestJiraFixtures(t *testing.T) {
	mp := jiraMapper(t)
	dir := filepath.Join("..", "..", "shared", "fixtures", "jira") // shared/ sits beside the clone
	var issues []json.RawMessage
	for _, f := range []string{"search-jql-get.atlassian-openapi.json", "search-jql-cursor-page1.jira-cli.json", "search-jql-cursor-last-page.jira-cli.json", "agile-sprint-issues.go-jira.json"} {
		var page struct{ Issues []json.RawMessage }
		if err := json.Unmarshal(read(t, filepath.Join(dir, f)), &page); err != nil {
			t.Fatal(f, err)
		}
		issues = append(issues, page.Issues...)
	}
	issues = append(issues, read(t, filepath.Join(dir, "issue-get.atlassian-openapi.json")))
	n := 0
	for i, p := range issues {
		var id struct{ ID, Key string }
		_ = json.Unmarshal(p, &id)
		if id.ID == "" {
			id.ID = id.Key // jira-cli's trimmed fixtures carry only keys
		}
		rows, probs := mp.Map(Record{Stream: "issues", NativeID: id.ID, Payload: p})
		for _, pr := range probs {
			t.Logf("issue %d: %+v", i, pr)
		}
		items := rowsOf(rows, warehouse.WorkItems)
		if len(items) != 1 || items[0]["native_id"] != id.ID {
			t.Errorf("issue %d: work items %v", i, items)
			continue
		}
		n++
	}
	if n != len(issues) {
		t.Errorf("mapped %d of %d issues", n, len(issues))
	}
}
