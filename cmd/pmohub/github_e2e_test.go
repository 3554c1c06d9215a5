package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmohub/pmohub/connectors/github/githubfake"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

// ghSite is a fake GitHub and a fake Jira, and a pmohub folder configured for both.
type ghSite struct {
	gh   *githubfake.Server
	jira *jirafake.Server
	dir  string
	env  []string
}

func newGHSite(t *testing.T) *ghSite {
	t.Helper()
	needChDB(t)
	s := &ghSite{gh: githubfake.New("ghp_e2eT0kenValue").Start(), jira: jirafake.New(jirafake.Cloud).Start(), dir: t.TempDir()}
	t.Cleanup(s.gh.Close)
	t.Cleanup(s.jira.Close)
	s.gh.RetryAfter = 0
	s.env = []string{"T_GH_TOKEN=" + s.gh.Token, "T_JIRA_TOKEN=" + s.jira.Token}
	s.config(t, "1ms")
	return s
}

// config writes pmohub.yaml; sweep is the github source's deletion_sweep.
func (s *ghSite) config(t *testing.T, sweep string) {
	t.Helper()
	cfg := fmt.Sprintf(`tenant: acme
sources:
  - name: jira-main
    kind: jira
    url: %s
    auth: {email: %s, token: "${T_JIRA_TOKEN}"}
    projects: [ALPHA]
  - name: gh
    kind: github
    url: %s
    auth: {token: "${T_GH_TOKEN}"}
    repos: [acme/web, acme/api]
    projects: [{org: acme, number: 7}]
    deletion_sweep: %s
    max_wait: 5s
`, s.jira.URL(), s.jira.Email, s.gh.URL(), sweep)
	if err := os.WriteFile(filepath.Join(s.dir, "pmohub.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *ghSite) sync(t *testing.T) string {
	t.Helper()
	out, errs, code := pmohub(t, s.dir, s.env, "sync")
	if code != 0 {
		t.Fatalf("pmohub sync: exit %d\n%s\n%s", code, out, errs)
	}
	return out
}

// item returns the work item of a GitHub issue, or nil when it is not visible.
func (s *ghSite) item(t *testing.T, is *githubfake.Issue) map[string]any {
	t.Helper()
	rows := queryJSON(t, s.dir, fmt.Sprintf(`SELECT key, title, status_category, type_category, scope, labels,
		attributes['project_status'] AS board_status FROM work_items WHERE tenant = 'acme' AND item_id = 'gh:%d'`, is.ID))
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}

func TestGitHubEndToEnd(t *testing.T) {
	s := newGHSite(t)
	s.jira.AddProject("ALPHA", "Alpha")
	target := s.jira.CreateIssue("ALPHA", jirafake.Issue{Summary: "Login form"})
	gh := s.gh
	gh.AddRepo("acme/web", false)
	gh.AddRepo("acme/api", false)
	long := strings.Repeat("Ünïcødé 🚀 \"q\" \\ ", 65000/16)
	bug := gh.AddIssue("acme/web", githubfake.IssueSpec{Title: "Crash 🐛", Body: long, Labels: []string{"bug 🐛"}})
	linked := gh.AddIssue("acme/web", githubfake.IssueSpec{Title: "Checkout"})
	pr := gh.AddIssue("acme/web", githubfake.IssueSpec{Title: target.Key + ": login form", Pull: true,
		Head: "feature/" + target.Key, Body: fmt.Sprintf("Closes #%d", linked.Number)})
	gone := gh.AddIssue("acme/web", githubfake.IssueSpec{Title: "To be deleted"})
	moving := gh.AddIssue("acme/web", githubfake.IssueSpec{Title: "To be transferred"})
	onBoard := gh.AddIssue("acme/api", githubfake.IssueSpec{Title: "Planned"})
	gh.AddProject("acme", 7, "Roadmap")
	boardItem := gh.AddProjectItem("acme", 7, "acme/api", onBoard.Number, map[string]string{"Status": "In Progress"})
	gh.Throttle(1, githubfake.Secondary429) // Retry-After: 0; a repeat would back off a minute
	s.sync(t)

	runs := queryJSON(t, s.dir, "SELECT source, throttled, status FROM sync_runs WHERE tenant = 'acme' ORDER BY source")
	if len(runs) != 2 || fmt.Sprint(runs[0]["throttled"]) != "1" || runs[0]["status"] != "succeeded" {
		t.Fatalf("sync_runs: %v", runs)
	}
	want := func(step string, is *githubfake.Issue, cat string) map[string]any {
		t.Helper()
		it := s.item(t, is)
		if it == nil || it["status_category"] != cat {
			t.Errorf("%s: %q = %v, want %s", step, is.Title, it, cat)
		}
		return it
	}
	if it := want("full", bug, "todo"); it != nil && (it["title"] != "Crash 🐛" || it["type_category"] != "bug" || fmt.Sprint(it["labels"]) != "[bug 🐛]") {
		t.Errorf("bug: %v", it)
	}
	if n := queryJSON(t, s.dir, fmt.Sprintf("SELECT lengthUTF8(JSONExtractString(payload, 'issue', 'body')) AS n FROM raw_records WHERE source = 'gh' AND native_id = '%d'", bug.ID)); len(n) != 1 || fmt.Sprint(n[0]["n"]) != fmt.Sprint(len([]rune(long))) {
		t.Errorf("65,000-character body: %v", n)
	}
	want("full", linked, "in_progress")
	want("full", pr, "in_progress")
	want("full", onBoard, "in_progress")
	links := queryJSON(t, s.dir, fmt.Sprintf(`SELECT l.to_id AS to_id, j.item_id AS jira_item FROM links AS l
		LEFT JOIN work_items AS j ON j.source_kind = 'jira' AND concat('jira-key:', j.key) = l.to_id
		WHERE l.tenant = 'acme' AND l.origin = 'mention' AND l.from_id = 'gh:%d'`, pr.ID))
	if len(links) != 1 || links[0]["jira_item"] != fmt.Sprintf("jira-main:%d", target.ID) {
		t.Errorf("pull request → Jira: %v", links)
	}

	// Incremental: the pull request closes unmerged, the board moves, an issue is
	// deleted, another transferred, one more added.
	gh.CloseIssue("acme/web", pr.Number, "alice", "")
	gh.SetProjectValue("acme", 7, boardItem.ID, "Status", "Done")
	gh.DeleteIssue("acme/web", gone.Number)
	moved := gh.TransferIssue("acme/web", moving.Number, "acme/api")
	added := gh.AddIssue("acme/api", githubfake.IssueSpec{Title: "New", Labels: []string{"incident"}})
	s.sync(t)
	want("incremental", pr, "cancelled")
	want("incremental", linked, "todo")
	want("incremental", onBoard, "done")
	want("incremental", added, "todo")
	if s.item(t, gone) != nil {
		t.Error("deleted issue still visible")
	}
	if it := s.item(t, moved); it == nil || it["scope"] != "github_repo:acme/api" || it["key"] != fmt.Sprintf("acme/api#%d", moved.Number) {
		t.Errorf("transferred issue: %v", it)
	}

	// Unchanged (the deletion sweep no longer due): only 304s.
	s.config(t, "24h")
	gh.ResetLog()
	s.sync(t)
	for _, r := range gh.Requests() {
		if r.Status != http.StatusNotModified {
			t.Errorf("unchanged sync: %s answered %d", r.Path, r.Status)
		}
	}

	// A revoked token fails this source only, naming it; the data stays.
	gh.Token = "another"
	out, _, code := pmohub(t, s.dir, s.env, "sync")
	if code == 0 || !strings.Contains(out, "gh") || !strings.Contains(out, "401") || strings.Contains(out, "ghp_e2eT0kenValue") {
		t.Errorf("revoked token: exit %d\n%s", code, out)
	}
	last := queryJSON(t, s.dir, "SELECT source, argMax(status, started_at) AS status FROM sync_runs WHERE tenant = 'acme' GROUP BY source ORDER BY source")
	if len(last) != 2 || last[0]["status"] != "failed" || last[1]["status"] != "succeeded" {
		t.Errorf("last runs: %v", last)
	}
	if s.item(t, bug) == nil {
		t.Error("data lost after a failed sync")
	}
}
