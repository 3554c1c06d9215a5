package github

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

// A board's Status decides the category of open items; closed and merged states win;
// board changes and removals reach the work items although the items do not change.
func TestBoardStatusOverridesState(t *testing.T) {
	f := githubfake.New(testToken).Start()
	t.Cleanup(f.Close)
	f.AddRepo("acme/web", false)
	open := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Open, Done on the board"})
	closed := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Not planned, In Progress on the board"})
	f.CloseIssue("acme/web", closed.Number, "bob", "not_planned")
	pr := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "A pull request", Pull: true, Draft: true})
	assigned := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Assigned, Todo on the board", Assignees: []string{"alice"}})
	f.AddProject("acme", 7, "Roadmap")
	f.AddProject("acme", 8, "Other board")
	// The second configured board holds an item too; the first configured one wins.
	f.AddProjectItem("acme", 8, "acme/web", open.Number, map[string]string{"Status": "Todo"})
	itOpen := f.AddProjectItem("acme", 7, "acme/web", open.Number, map[string]string{"Status": "Done", "Estimate": "3"})
	f.AddProjectItem("acme", 7, "acme/web", closed.Number, map[string]string{"Status": "In Progress"})
	itPR := f.AddProjectItem("acme", 7, "acme/web", pr.Number, map[string]string{"Status": "In Review", "Iteration": "Iteration 2"})
	itAssigned := f.AddProjectItem("acme", 7, "acme/web", assigned.Number, map[string]string{"Status": "Todo"})
	// An item of a repository this source does not read is left alone.
	f.AddRepo("acme/other", false)
	foreign := f.AddIssue("acme/other", githubfake.IssueSpec{Title: "Elsewhere", Pull: true})
	f.AddProjectItem("acme", 7, "acme/other", foreign.Number, map[string]string{"Status": "Todo"})
	h := newHarness(t, f, "repos: [acme/web]\nprojects: [{org: acme, number: 7}, {org: acme, number: 8}]\n")
	h.mustSync(false)
	h.mustSync(false) // the second run compares with the first one's board
	for _, r := range f.Requests() {
		if strings.Contains(r.Path, "acme/other") {
			t.Errorf("asked about another repository: %s", r.Path)
		}
	}
	want := func(step string, is *githubfake.Issue, cat, board, status string) {
		t.Helper()
		c, a := category(t, h, is)
		if c != cat || a["board"] != board || a["project_status"] != status {
			t.Errorf("%s: %q = %s on %q (%q), want %s on %q (%q)", step, is.Title, c, a["board"], a["project_status"], cat, board, status)
		}
	}
	want("first sync", open, "done", "acme/7", "Done")
	want("first sync", closed, "cancelled", "acme/7", "In Progress")
	want("first sync", pr, "in_progress", "acme/7", "In Review")
	want("first sync", assigned, "todo", "acme/7", "Todo")

	// The board moves; the issue does not change.
	f.SetProjectValue("acme", 7, itOpen.ID, "Status", "In Progress")
	h.mustSync(false)
	want("status moved", open, "in_progress", "acme/7", "In Progress")

	// Removed and archived items leave the board: their state decides again.
	f.RemoveProjectItem("acme", 7, itAssigned.ID)
	f.ArchiveProjectItem("acme", 7, itPR.ID)
	h.mustSync(false)
	want("removed", assigned, "in_progress", "", "")
	want("archived", pr, "todo", "", "")
	for _, id := range []int64{itAssigned.ID, itPR.ID} {
		if _, ok := h.store.get(StreamProjectItems, itoa(id)); ok {
			t.Errorf("board item %d still stored", id)
		}
	}
	// The other board still holds "open" once the first lets it go.
	f.RemoveProjectItem("acme", 7, itOpen.ID)
	h.mustSync(false)
	want("first board left", open, "todo", "acme/8", "Todo")

	f.ResetLog()
	h.mustSync(false)
	for _, r := range f.Requests() {
		if r.Status != http.StatusNotModified {
			t.Errorf("unchanged sync: %s answered %d", r.Path, r.Status)
		}
	}
	// --full finds the same.
	h.mustSync(true)
	want("full", open, "todo", "acme/8", "Todo")
	want("full", assigned, "in_progress", "", "")
}

// status_field names the board field that overrides the category.
func TestBoardStatusField(t *testing.T) {
	f := githubfake.New(testToken).Start()
	t.Cleanup(f.Close)
	f.AddRepo("acme/web", false)
	is := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Staged"})
	f.AddProject("acme", 7, "Roadmap")
	f.AddProjectField("acme", 7, "Stage", "Todo", "In Progress", "Done")
	f.AddProjectItem("acme", 7, "acme/web", is.Number, map[string]string{"Status": "Todo", "Stage": "Done"})
	h := newHarness(t, f, "repos: [acme/web]\nprojects: [{org: acme, number: 7, status_field: Stage}]\n")
	h.mustSync(false)
	if c, a := category(t, h, is); c != "done" || a["project_status"] != "Done" {
		t.Errorf("category %s, attributes %v", c, a)
	}
}
