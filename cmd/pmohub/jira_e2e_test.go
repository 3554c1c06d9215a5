package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

// jiraSite is a fake Jira and a pmohub folder configured for it.
type jiraSite struct {
	fake *jirafake.Server
	dir  string
	env  []string
}

func newJiraSite(t *testing.T, projects ...string) *jiraSite {
	t.Helper()
	needChDB(t)
	fake := jirafake.New(jirafake.Cloud)
	fake.Start()
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	cfg := fmt.Sprintf("tenant: acme\nsources:\n  - name: jira-main\n    kind: jira\n    url: %s\n    auth: {email: %s, token: \"${T_JIRA_TOKEN}\"}\n    projects: [%s]\n    max_wait: 2s\n",
		fake.URL(), fake.Email, strings.Join(projects, ", "))
	if err := os.WriteFile(filepath.Join(dir, "pmohub.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return &jiraSite{fake: fake, dir: dir, env: []string{"T_JIRA_TOKEN=" + fake.Token}}
}

func (s *jiraSite) sync(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := pmohub(t, s.dir, s.env, append([]string{"sync"}, args...)...)
	if code != 0 {
		t.Fatalf("pmohub sync: exit %d\n%s\n%s", code, out, errs)
	}
	return out
}

// compare checks the warehouse's work items against the fake's issues field by field.
func (s *jiraSite) compare(t *testing.T) {
	t.Helper()
	cats := map[string]string{"1": "todo", "2": "todo", "3": "in_progress", "4": "in_progress", "5": "done", "6": "done"}
	want := map[string]jirafake.Issue{}
	for _, is := range s.fake.Issues() {
		want[fmt.Sprint(is.ID)] = is
	}
	got := queryJSON(t, s.dir, `SELECT native_id, key, title, status, status_category, labels, estimate, priority,
		scope, toString(created_at) AS created, toString(resolved_at) AS resolved, toString(due_date) AS due
		FROM work_items WHERE tenant = 'acme' AND source = 'jira-main'`)
	if len(got) != len(want) {
		t.Fatalf("warehouse has %d work items, Jira %d", len(got), len(want))
	}
	for _, r := range got {
		is, ok := want[r["native_id"].(string)]
		if !ok {
			t.Fatalf("work item %v is not in Jira", r)
		}
		cat := cats[is.StatusID]
		if cat == "done" && (is.Resolution == "Won't Do" || is.Resolution == "Duplicate") {
			cat = "cancelled"
		}
		checks := map[string][2]any{
			"key":             {r["key"], is.Key},
			"title":           {r["title"], is.Summary},
			"status_category": {r["status_category"], cat},
			"priority":        {r["priority"], is.Priority},
			"scope":           {r["scope"], "jira_project:" + is.ProjectKey},
			"labels":          {fmt.Sprint(r["labels"]), fmt.Sprint(anySlice(is.Labels))},
			"created":         {r["created"], is.Created.UTC().Format("2006-01-02 15:04:05.000")},
		}
		if is.StoryPoints != nil {
			checks["estimate"] = [2]any{fmt.Sprint(r["estimate"]), fmt.Sprint(*is.StoryPoints)}
		}
		if is.DueDate != "" {
			checks["due"] = [2]any{r["due"], is.DueDate}
		}
		for field, c := range checks {
			if fmt.Sprint(c[0]) != fmt.Sprint(c[1]) {
				t.Fatalf("%s %s: warehouse %q, Jira %q", is.Key, field, c[0], c[1])
			}
		}
	}
	// every status change in Jira is a transition in the warehouse
	changes := 0
	for _, is := range want {
		for _, h := range is.Changelog {
			for _, it := range h.Items {
				if it.Field == "status" {
					changes++
				}
			}
		}
	}
	tr := queryJSON(t, s.dir, "SELECT count() AS n FROM transitions WHERE tenant = 'acme' AND source = 'jira-main'")
	if fmt.Sprint(tr[0]["n"]) != fmt.Sprint(changes) {
		t.Fatalf("transitions: warehouse %v, Jira %d status changes", tr[0]["n"], changes)
	}
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestJiraFullIncrementalDeletionsAndMoves(t *testing.T) {
	s := newJiraSite(t, "ALPHA", "BETA")
	s.fake.AddProject("BETA", "Beta")
	s.fake.Generate("ALPHA", 150, 3)
	s.fake.Generate("BETA", 60, 2)
	weird := "Ünïcødé 🚀 \"quoted\" back\\slash\nnew line'; DROP TABLE work_items; --"
	s.fake.UpdateIssue("ALPHA-1", func(is *jirafake.Issue) { is.Summary = weird })
	s.sync(t)
	s.compare(t)

	// updates, a transition, a creation, a deletion and a move between projects
	s.fake.UpdateIssue("ALPHA-2", func(is *jirafake.Issue) { is.Summary = "Renamed" })
	s.fake.Transition("ALPHA-3", "3", nil)
	s.fake.CreateIssue("BETA", jirafake.Issue{Summary: "New one", Type: "Bug", StatusID: "1", Priority: "High", Created: time.Now()})
	s.fake.DeleteIssue("ALPHA-4")
	movedTo := s.fake.MoveIssue("ALPHA-5", "BETA")
	s.fake.ResetRequests()
	out := s.sync(t)
	s.compare(t)
	if !strings.Contains(out, "succeeded") {
		t.Fatalf("summary: %s", out)
	}
	moved := queryJSON(t, s.dir, "SELECT key, scope FROM work_items WHERE tenant = 'acme' AND key = "+quote(movedTo))
	if len(moved) != 1 || moved[0]["scope"] != "jira_project:BETA" {
		t.Fatalf("moved issue: %v", moved)
	}
	if n := queryJSON(t, s.dir, "SELECT count() AS n FROM work_items WHERE tenant = 'acme' AND key = 'ALPHA-4'"); fmt.Sprint(n[0]["n"]) != "0" {
		t.Fatal("deleted issue still visible")
	}
	if got := queryJSON(t, s.dir, "SELECT title FROM work_items WHERE tenant = 'acme' AND key = 'ALPHA-1'"); got[0]["title"] != weird {
		t.Fatalf("title not verbatim: %q", got[0]["title"])
	}

	// an unchanged site costs a handful of requests
	s.fake.ResetRequests()
	s.sync(t)
	if n := len(s.fake.Requests()); n > 3 {
		t.Fatalf("unchanged sync made %d requests: %+v", n, s.fake.Requests())
	}
}

func TestJiraUnderRateLimiting(t *testing.T) {
	s := newJiraSite(t, "ALPHA")
	s.fake.Generate("ALPHA", 120, 2)
	s.fake.Throttle(3, 1, false)
	s.sync(t)
	s.compare(t)
	runs := queryJSON(t, s.dir, "SELECT throttled, status FROM sync_runs WHERE tenant = 'acme'")
	if len(runs) != 1 || fmt.Sprint(runs[0]["throttled"]) != "3" || runs[0]["status"] != "succeeded" {
		t.Fatalf("sync_runs: %v", runs)
	}
}

func TestJiraBadCredentialsNameSourceAndKeepData(t *testing.T) {
	s := newJiraSite(t, "ALPHA")
	s.fake.Generate("ALPHA", 20, 1)
	s.sync(t)
	s.env = []string{"T_JIRA_TOKEN=wrong-token-value"}
	out, _, code := pmohub(t, s.dir, s.env, "sync")
	if code == 0 || !strings.Contains(out, "jira-main") || !strings.Contains(out, "401") || strings.Contains(out, "wrong-token-value") {
		t.Fatalf("exit %d, out %s", code, out)
	}
	if n := queryJSON(t, s.dir, "SELECT count() AS n FROM work_items WHERE tenant = 'acme'"); fmt.Sprint(n[0]["n"]) != "20" {
		t.Fatalf("data lost after a failed sync: %v", n)
	}
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }
