package github

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

func TestClosingRefs(t *testing.T) {
	body := "Closes #12, fixes acme/web#13 and Resolved: #14.\nFIXES https://github.com/acme/web/issues/15 " +
		"closes other/repo#16, see #17, fixes #12 again, closes https://ghe.example.com/api/v3/repos/acme/web/issues/18"
	if got := closingRefs("acme/web", body); !slices.Equal(got, []int{12, 13, 14, 15, 18}) {
		t.Errorf("closingRefs = %v", got)
	}
	if got := closingRefs("acme/web", "prefix#12 fixes#3 closes nothing"); got != nil {
		t.Errorf("no references expected, got %v", got)
	}
}

// category maps the stored records with the default mapping and returns an item's
// status_category and attributes.
func category(t *testing.T, h *harness, is *githubfake.Issue) (string, map[string]string) {
	t.Helper()
	r := mapped(t, h, "")["work_items"]["gh:"+idOf(is)]
	if r == nil {
		t.Fatalf("no work item for %q", is.Title)
	}
	a, _ := r["attributes"].(map[string]string)
	return fmt.Sprint(r["status_category"]), a
}

// An open issue with an open pull request that closes it is in progress, through
// incremental syncs where the issue itself never changes.
func TestLinkedPullRequest(t *testing.T) {
	f := githubfake.New(testToken).Start()
	t.Cleanup(f.Close)
	f.AddRepo("acme/web", false)
	issue := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Checkout breaks"})
	other := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Slow search"})
	h := newHarness(t, f, "repos: [acme/web]\n")
	h.mustSync(false)
	if c, _ := category(t, h, issue); c != "todo" {
		t.Fatalf("fresh issue: %s", c)
	}

	// A draft pull request closing it: work has started.
	pr := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Fix checkout", Pull: true, Draft: true,
		Body: fmt.Sprintf("Closes #%d", issue.Number)})
	h.mustSync(false)
	if c, _ := category(t, h, issue); c != "in_progress" {
		t.Errorf("issue with an open pull request: %s", c)
	}
	if e := h.envelope(idOf(issue)); !slices.Equal(e.Derived.LinkedPulls, []int{pr.Number}) || e.Derived.State != "open_linked_pr" {
		t.Errorf("derived: %+v", e.Derived)
	}
	if c, _ := category(t, h, other); c != "todo" {
		t.Errorf("unrelated issue: %s", c)
	}

	// Closed without merging: back to todo, at the cost of one request for the issue.
	f.CloseIssue("acme/web", pr.Number, "alice", "")
	f.ResetLog()
	h.mustSync(false)
	if c, _ := category(t, h, issue); c != "todo" {
		t.Errorf("after the pull request closed unmerged: %s", c)
	}
	if n := countPath(f, fmt.Sprintf("/issues/%d", issue.Number)); n != 1 {
		t.Errorf("the issue was asked for %d times, want 1", n)
	}

	// Reopened, then its body no longer names the issue.
	f.ReopenIssue("acme/web", pr.Number, "alice")
	h.mustSync(false)
	if c, _ := category(t, h, issue); c != "in_progress" {
		t.Errorf("after the pull request reopened: %s", c)
	}
	f.UpdateIssue("acme/web", pr.Number, func(is *githubfake.Issue) { is.Body = "Refactoring only" })
	h.mustSync(false)
	if c, _ := category(t, h, issue); c != "todo" {
		t.Errorf("after the reference was removed: %s", c)
	}

	// Another pull request closes both issues (owner/repo#n form) and merges: GitHub
	// closes them, and their state wins.
	pr2 := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Fix both", Pull: true,
		Body: fmt.Sprintf("fixes acme/web#%d\nResolves: #%d", issue.Number, other.Number)})
	h.mustSync(false)
	for _, is := range []*githubfake.Issue{issue, other} {
		if c, _ := category(t, h, is); c != "in_progress" {
			t.Errorf("%q with pull request 2 open: %s", is.Title, c)
		}
	}
	f.MergePull("acme/web", pr2.Number, "bob")
	f.CloseIssue("acme/web", issue.Number, "bob", "completed")
	f.CloseIssue("acme/web", other.Number, "bob", "completed")
	h.mustSync(false)
	for _, is := range []*githubfake.Issue{issue, other} {
		if c, _ := category(t, h, is); c != "done" {
			t.Errorf("%q after the merge: %s", is.Title, c)
		}
	}

	// Nothing changed: only 304s, and a re-read changes nothing.
	f.ResetLog()
	h.mustSync(false)
	for _, r := range f.Requests() {
		if r.Status != http.StatusNotModified {
			t.Errorf("unchanged sync: %s answered %d", r.Path, r.Status)
		}
	}
	before := h.envelope(idOf(issue))
	h.mustSync(true)
	if after := h.envelope(idOf(issue)); fmt.Sprint(after.Derived) != fmt.Sprint(before.Derived) {
		t.Errorf("full re-read changed the issue: %+v → %+v", before.Derived, after.Derived)
	}
}

// In a full sync the pull request may be listed after the issue it closes (the listing is
// by update time): the issue is emitted again once the pull request is known.
func TestLinkedPullRequestListedLater(t *testing.T) {
	t.Run("payloads kept", testListedLater)
	// Over the budget the issues are read back from the raw layer.
	t.Run("payloads read back", func(t *testing.T) {
		old := keptBudget
		keptBudget = 0
		t.Cleanup(func() { keptBudget = old })
		testListedLater(t)
	})
}

func testListedLater(t *testing.T) {
	f := githubfake.New(testToken).Start()
	t.Cleanup(f.Close)
	f.AddRepo("acme/web", false)
	pr := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Fix it", Pull: true, Body: "Closes #2"})
	issue := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Broken"})
	early := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Also broken"})
	f.UpdateIssue("acme/web", pr.Number, func(is *githubfake.Issue) {
		is.Body = fmt.Sprintf("Closes #%d, closes #%d", issue.Number, early.Number)
	})
	h := newHarness(t, f, "repos: [acme/web]\n")
	h.mustSync(false)
	for _, is := range []*githubfake.Issue{issue, early} {
		if c, _ := category(t, h, is); c != "in_progress" {
			t.Errorf("%q: %s", is.Title, c)
		}
	}
	for _, r := range f.Requests() {
		if strings.Contains(r.Path, "/issues/") && !strings.HasSuffix(r.Path, "/issues/events") {
			t.Errorf("full sync asked for one issue: %s", r.Path)
		}
	}
}

func countPath(f *githubfake.Server, suffix string) int {
	n := 0
	for _, r := range f.Requests() {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// Jira keys become links wherever they are written: pull request titles, branch names
// and bodies (commit-style "Closes ALPHA-12"), and issue titles and bodies.
func TestJiraKeysEverywhere(t *testing.T) {
	f := githubfake.New(testToken).Start()
	t.Cleanup(f.Close)
	f.AddRepo("acme/web", false)
	inTitle := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "ALPHA-1 login", Pull: true})
	inBranch := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Login", Pull: true, Head: "feature/ALPHA-2-login"})
	inBody := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Login", Pull: true, Body: "Closes ALPHA-3\n\nfixes: BETA-4, resolves ALPHA-3"})
	issue := f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Crash (OPS-5)", Body: "Fixes BETA-6 🚀 and not alpha-7 or X-8 or ALPHA-"})
	h := newHarness(t, f, "repos: [acme/web]\n")
	h.mustSync(false)
	links := mapped(t, h, "")["links"]
	for _, c := range []struct {
		is        *githubfake.Issue
		kind, key string
	}{
		{inTitle, "implements", "ALPHA-1"}, {inBranch, "implements", "ALPHA-2"},
		{inBody, "implements", "ALPHA-3"}, {inBody, "implements", "BETA-4"},
		{issue, "references", "OPS-5"}, {issue, "references", "BETA-6"},
	} {
		l := links["gh:"+idOf(c.is)+"|"+c.kind+"|jira-key:"+c.key]
		if l == nil || l["origin"] != "mention" {
			t.Errorf("%s from %q: %v", c.key, c.is.Title, l)
		}
	}
	n := 0
	for k := range links {
		if strings.Contains(k, "jira-key:") {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d Jira links, want 6: %v", n, keysOf(links))
	}
	if e := h.envelope(idOf(inBody)); len(e.Derived.JiraKeys) != 2 || !slices.Equal(e.Derived.JiraKeys[0].In, []string{"body"}) {
		t.Errorf("pull request keys: %+v", e.Derived.JiraKeys)
	}
}
