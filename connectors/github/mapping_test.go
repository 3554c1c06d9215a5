package github

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/github/githubfake"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// mapped maps every stored record of the harness with the default mapping and returns
// the rows by table, then by key.
func mapped(t *testing.T, h *harness, extra string) map[string]map[string]map[string]any {
	t.Helper()
	m, err := mappings.Parse("mapping.yaml", defaultMapping, nil)
	if err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		text, err := os.ReadFile(extra)
		if err != nil {
			t.Fatal(err)
		}
		if m, err = mappings.Parse(extra, text, m); err != nil {
			t.Fatal(err)
		}
	}
	mp, err := m.Compile(mappings.Env{Tenant: "default", Source: "gh", SourceKind: "github", SourceURL: h.fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range mp.LookupStreams() {
		var recs []connectors.StoredRecord
		for _, r := range h.store.Recs[s] {
			recs = append(recs, r)
		}
		if err := mp.SetLookup(s, recs); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]map[string]map[string]any{}
	for _, s := range mp.Streams() {
		for _, r := range h.store.Recs[s] {
			rows, probs := mp.Map(mappings.Record{Stream: s, NativeID: r.NativeID, Payload: r.Payload})
			for _, p := range probs {
				t.Errorf("mapping problem: %+v", p)
			}
			for _, row := range rows {
				vals := map[string]any{}
				for i, c := range row.Table.Columns {
					vals[c.Name] = row.Values[i]
				}
				if out[row.Table.Name] == nil {
					out[row.Table.Name] = map[string]map[string]any{}
				}
				out[row.Table.Name][strings.ReplaceAll(row.Key, "\x00", "|")] = vals
			}
		}
	}
	return out
}

func TestDefaultMapping(t *testing.T) {
	w := newWorld(t)
	w.fake.AddProject("acme", 7, "Roadmap")
	w.fake.AddProjectItem("acme", 7, "acme/web", w.bug.Number, map[string]string{"Status": "In Progress", "Iteration": "Iteration 2", "Estimate": "5"})
	h := newHarness(t, w.fake, "repos: [acme/web, acme/api]\nprojects: [{org: acme, number: 7}]\n")
	h.mustSync(false)
	rows := mapped(t, h, "projects.yaml") // the default mapping with nothing added

	item := func(is *githubfake.Issue) map[string]any {
		r := rows["work_items"]["gh:"+idOf(is)]
		if r == nil {
			t.Fatalf("no work item for %q", is.Title)
		}
		return r
	}
	for _, c := range []struct {
		is            *githubfake.Issue
		typ, category string
	}{
		{w.bug, "bug", "in_progress"}, // open, and In Progress on the board
		{w.feature, "feature", "in_progress"},
		{w.notPlanned, "feature", "cancelled"},
		{w.pr, "pull_request", "in_progress"},
		{w.draft, "pull_request", "todo"},
		{w.merged, "pull_request", "done"},
		{w.other, "incident", "todo"},
	} {
		r := item(c.is)
		if r["type_category"] != c.typ || r["status_category"] != c.category {
			t.Errorf("%q: type/category = %v/%v, want %s/%s", c.is.Title, r["type_category"], r["status_category"], c.typ, c.category)
		}
	}
	feat := item(w.feature)
	if feat["key"] != "acme/web#2" || feat["scope"] != "github_repo:acme/web" || feat["assignee_id"] != "gh:alice" ||
		feat["parent_id"] != fmt.Sprintf("gh:milestone-%d", w.milestone.ID) {
		t.Errorf("feature row: %v", feat)
	}
	if d, _ := feat["due_date"].(*time.Time); d == nil || !d.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("feature due_date (from its milestone) = %v", feat["due_date"])
	}
	if merged := item(w.merged); merged["resolved_at"] == nil || merged["started_at"] == nil {
		t.Errorf("merged PR times: %v", merged)
	}
	bug := item(w.bug)
	if est, _ := bug["estimate"].(*float64); est == nil || *est != 5 || bug["sprint"] != "Iteration 2" {
		t.Errorf("bug from project: estimate %v sprint %v", bug["estimate"], bug["sprint"])
	}
	if a, _ := bug["attributes"].(map[string]string); a["project_status"] != "In Progress" || a["board"] != "acme/7" {
		t.Errorf("bug project status: %v", bug["attributes"])
	}
	if !slices.Equal(bug["labels"].([]string), []string{"bug 🐛", "P1"}) || bug["title"] != "Login fails 🐛" {
		t.Errorf("bug labels/title: %v %v", bug["labels"], bug["title"])
	}
	ms := rows["work_items"][fmt.Sprintf("gh:milestone-%d", w.milestone.ID)]
	if ms == nil || ms["type_category"] != "milestone" || ms["status_category"] != "in_progress" {
		t.Errorf("milestone row: %v", ms)
	}

	// Links: Jira mentions (origin mention, to_id jira-key:KEY) and milestone membership.
	links := rows["links"]
	for _, k := range []string{"ALPHA-12", "ALPHA-13", "ALPHA-14"} {
		l := links["gh:"+idOf(w.pr)+"|implements|jira-key:"+k]
		if l == nil || l["origin"] != "mention" {
			t.Errorf("link to %s: %v (links %v)", k, l, keysOf(links))
		}
	}
	if links["gh:"+idOf(w.feature)+"|milestone|gh:milestone-"+itoa(w.milestone.ID)] == nil {
		t.Errorf("milestone link missing: %v", keysOf(links))
	}

	// Transitions from the events, categories through the mapping.
	tx := rows["transitions"]
	cats := map[string]int{}
	for _, r := range tx {
		cats[fmt.Sprint(r["to_value"], "→", r["to_category"])]++
	}
	want := map[string]int{"assigned→in_progress": 1, "closed→cancelled": 1, "merged→done": 1, "closed→done": 1}
	if fmt.Sprint(cats) != fmt.Sprint(want) {
		t.Errorf("transitions = %v, want %v", cats, want)
	}
	if p := rows["people"]["gh:alice"]; p == nil || p["email"] != "alice@acme.test" || p["display_name"] != "Alice Ng" {
		t.Errorf("people alice: %v", p)
	}
	if m := rows["project_members"]["gh:acme/web|github_repo|acme/web"]; m == nil {
		t.Errorf("project_members: %v", keysOf(rows["project_members"]))
	}
	_ = warehouse.WorkItems
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Without projects.yaml, the default mapping reports no problem at all.
func TestDefaultMappingIsQuiet(t *testing.T) {
	w := newWorld(t)
	h := newHarness(t, w.fake, "repos: [acme/web, acme/api]\n")
	h.mustSync(false)
	rows := mapped(t, h, "")
	if len(rows["work_items"]) != 8 || len(rows["transitions"]) != 4 {
		t.Errorf("work items %d, transitions %d", len(rows["work_items"]), len(rows["transitions"]))
	}
}
