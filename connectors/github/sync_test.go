package github

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

const nastyBody = `He said "ship it" \ C:\path\to\file; DROP TABLE work_items; -- <b>&amp;</b> 'quoted' ünïcödé 日本語 🚀`

// world is a small portfolio: two repositories, a milestone, issues and pull requests in
// every state, and Jira keys in titles, branches and bodies.
type world struct {
	fake                     *githubfake.Server
	bug, feature, notPlanned *githubfake.Issue
	pr, draft, merged, other *githubfake.Issue
	milestone                *githubfake.Milestone
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f := githubfake.New(testToken).Start()
	t.Cleanup(f.Close)
	w := &world{fake: f}
	f.AddRepo("acme/web", false)
	f.AddRepo("acme/api", false)
	f.AddUser("alice", "Alice Ng", "alice@acme.test")
	f.AddUser("bob", "Bob", "")
	due := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	w.milestone = f.AddMilestone("acme/web", "v1.0", &due)
	w.bug = f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Login fails 🐛", Body: nastyBody, Author: "bob", Labels: []string{"bug 🐛", "P1"}})
	w.feature = f.AddIssue("acme/web", githubfake.IssueSpec{Title: "SSO", Author: "bob", Labels: []string{"Enhancement"},
		Milestone: w.milestone.Number})
	f.Assign("acme/web", w.feature.Number, "bob", "alice")
	w.notPlanned = f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Dark mode", Labels: []string{"feature"}})
	f.CloseIssue("acme/web", w.notPlanned.Number, "bob", "not_planned")
	w.pr = f.AddIssue("acme/web", githubfake.IssueSpec{Title: "ALPHA-12: login form", Pull: true, Author: "alice",
		Head: "feature/ALPHA-13-login", Body: "Closes ALPHA-14. Also see ALPHA-12.", Milestone: w.milestone.Number})
	w.draft = f.AddIssue("acme/web", githubfake.IssueSpec{Title: "WIP", Pull: true, Draft: true, Author: "alice"})
	w.merged = f.AddIssue("acme/web", githubfake.IssueSpec{Title: "Fix typo", Pull: true, Author: "bob"})
	f.MergePull("acme/web", w.merged.Number, "alice")
	w.other = f.AddIssue("acme/api", githubfake.IssueSpec{Title: "Incident: API down", Labels: []string{"outage"}, Author: "alice"})
	return w
}

func TestFullSync(t *testing.T) {
	w := newWorld(t)
	h := newHarness(t, w.fake, "repos: [acme/web, acme/api]\ndeletion_sweep: 1h\n")
	h.mustSync(false)

	if n := h.store.count(StreamItems); n != 7 {
		t.Fatalf("items stored = %d, want 7", n)
	}
	if n := h.store.count(StreamRepositories); n != 2 {
		t.Fatalf("repositories = %d, want 2", n)
	}
	cases := []struct {
		is          *githubfake.Issue
		kind, state string
		typ         string
	}{
		{w.bug, "issue", "open", "bug"},
		{w.feature, "issue", "open_assigned", "feature"},
		{w.notPlanned, "issue", "closed_not_planned", "feature"},
		{w.pr, "pull_request", "open_ready", "pull_request"},
		{w.draft, "pull_request", "open_draft", "pull_request"},
		{w.merged, "pull_request", "merged", "pull_request"},
		{w.other, "issue", "open", "incident"},
	}
	for _, c := range cases {
		e := h.envelope(idOf(c.is))
		if e.Kind != c.kind || e.Derived.State != c.state || e.Derived.Type != c.typ {
			t.Errorf("%s: kind/state/type = %s/%s/%s, want %s/%s/%s", c.is.Title, e.Kind, e.Derived.State, e.Derived.Type, c.kind, c.state, c.typ)
		}
	}
	pr := h.envelope(idOf(w.pr))
	if got := field(t, pr.Pull, "head.ref"); got != "feature/ALPHA-13-login" {
		t.Errorf("pull head = %v", got)
	}
	if got := field(t, pr.Issue, "number"); got != float64(w.pr.Number) {
		t.Errorf("pull request's issue part number = %v", got)
	}
	var keys []string
	for _, k := range pr.Derived.JiraKeys {
		keys = append(keys, k.Ref+"@"+strings.Join(k.In, "+"))
	}
	if got := strings.Join(keys, " "); got != "jira-key:ALPHA-12@title+body jira-key:ALPHA-13@branch jira-key:ALPHA-14@body" {
		t.Errorf("jira keys = %s", got)
	}
	if pr.Derived.Key != "acme/web#4" {
		t.Errorf("key = %q", pr.Derived.Key)
	}
	msRec, _ := h.store.get(StreamMilestones, milestoneID(w.milestone.ID))
	var ms envelope
	_ = json.Unmarshal(msRec.Payload, &ms)
	if ms.Kind != "milestone" || field(t, ms.Milestone, "due_on") != "2025-03-01T00:00:00Z" {
		t.Errorf("milestone = %+v", ms)
	}
	// Events: assigned (feature), closed (not planned), merged+closed (merged PR).
	if n := h.store.count(StreamEvents); n != 4 {
		t.Errorf("events = %d, want 4", n)
	}
	alice, ok := h.store.get(StreamPeople, "alice")
	if !ok || field(t, alice.Payload, "email") != "alice@acme.test" || field(t, alice.Payload, "name") != "Alice Ng" {
		t.Errorf("people: alice = %s", alice.Payload)
	}
	if h.store.count(StreamPeople) != 3 { // alice, bob, octocat
		t.Errorf("people = %d, want 3", h.store.count(StreamPeople))
	}
	// The engine's counting transport saw every request the fake answered.
	if got, want := h.stats.Requests.Load(), int64(len(w.fake.Requests())); got != want {
		t.Errorf("counted requests = %d, fake saw %d", got, want)
	}
}

func TestVerbatimPayloads(t *testing.T) {
	w := newWorld(t)
	long := strings.Repeat("Ünïcode 🚀 \"q\" \\ ", 65000/20) + "ALPHA-99"
	big := w.fake.AddIssue("acme/web", githubfake.IssueSpec{Title: `Quote "x" \ y'; SELECT 1;--`, Body: long, Labels: []string{"🔥 hot", "type: bug"}})
	h := newHarness(t, w.fake, "repos: [acme/web]\n")
	h.mustSync(false)
	e := h.envelope(idOf(big))
	if got := field(t, e.Issue, "body"); got != long {
		t.Errorf("65,000-character body changed (len %d → %d)", len(long), len(got.(string)))
	}
	if got := field(t, e.Issue, "title"); got != `Quote "x" \ y'; SELECT 1;--` {
		t.Errorf("title = %q", got)
	}
	b := h.envelope(idOf(w.bug))
	if got := field(t, b.Issue, "body"); got != nastyBody {
		t.Errorf("body = %q", got)
	}
	if !strings.Contains(string(b.Issue), `<b>&amp;</b>`) {
		t.Errorf("HTML characters were re-escaped: %s", b.Issue)
	}
	labels := field(t, e.Issue, "labels").([]any)
	if labels[0].(map[string]any)["name"] != "🔥 hot" || e.Derived.Type != "bug" {
		t.Errorf("emoji label/type: %v %s", labels, e.Derived.Type)
	}
	if len(e.Derived.JiraKeys) != 1 || e.Derived.JiraKeys[0].Key != "ALPHA-99" {
		t.Errorf("jira keys in long body: %+v", e.Derived.JiraKeys)
	}
}

func TestIncrementalAfterChanges(t *testing.T) {
	w := newWorld(t)
	h := newHarness(t, w.fake, "repos: [acme/web, acme/api]\ndeletion_sweep: 24h\n")
	h.mustSync(false)
	before := len(h.store.emitted)
	v0, _ := h.store.get(StreamItems, idOf(w.pr))

	f := w.fake
	f.CloseIssue("acme/web", w.feature.Number, "alice", "completed")
	f.UpdateIssue("acme/web", w.pr.Number, func(is *githubfake.Issue) { is.Title = "ALPHA-12: login form v2" })
	f.MergePull("acme/web", w.draft.Number, "bob")
	added := f.AddIssue("acme/api", githubfake.IssueSpec{Title: "New bug", Labels: []string{"defect"}})
	f.ResetLog()
	h.mustSync(false)

	changed := map[string]bool{}
	for _, r := range h.store.emitted[before:] {
		if r.Stream == StreamItems {
			changed[r.NativeID] = true
		}
	}
	for _, is := range []*githubfake.Issue{w.feature, w.pr, w.draft, added} {
		if !changed[idOf(is)] {
			t.Errorf("%q not re-read", is.Title)
		}
	}
	if len(changed) != 4 {
		t.Errorf("re-read %d items, want the 4 changed ones: %v", len(changed), changed)
	}
	if s := h.envelope(idOf(w.feature)).Derived.State; s != "closed_completed" {
		t.Errorf("closed feature state = %s", s)
	}
	if s := h.envelope(idOf(w.draft)).Derived.State; s != "merged" {
		t.Errorf("merged draft state = %s", s)
	}
	v1, _ := h.store.get(StreamItems, idOf(w.pr))
	if v1.Version <= v0.Version {
		t.Errorf("version did not grow: %d → %d", v0.Version, v1.Version)
	}
	// Pull request details came from one list call, not one call per pull request.
	for _, r := range f.Requests() {
		if strings.Contains(r.Path, "/pulls/") {
			t.Errorf("per-pull request: %s", r.Path)
		}
	}
	// Events: closed (feature) + merged/closed (draft) are new.
	if n := h.store.count(StreamEvents); n != 7 {
		t.Errorf("events = %d, want 7", n)
	}
}

func TestUnchangedSyncCostsOnly304s(t *testing.T) {
	w := newWorld(t)
	h := newHarness(t, w.fake, "repos: [acme/web, acme/api]\ndeletion_sweep: 24h\n")
	h.mustSync(false)
	before := len(h.store.emitted)
	w.fake.ResetLog()
	h.mustSync(false)

	reqs := w.fake.Requests()
	// Per repository and stream (repositories, milestones, items, events): one conditional request.
	if len(reqs) != 8 {
		t.Errorf("unchanged sync made %d requests, want 8: %+v", len(reqs), reqs)
	}
	for _, r := range reqs {
		if r.Status != http.StatusNotModified {
			t.Errorf("%s %s?%s answered %d, want 304", r.Method, r.Path, r.Query, r.Status)
		}
	}
	if n := len(h.store.emitted) - before; n != 0 {
		t.Errorf("unchanged sync emitted %d records", n)
	}
	if h.stats.Throttled.Load() != 0 {
		t.Errorf("throttled = %d", h.stats.Throttled.Load())
	}
}

func TestReReadIsHarmless(t *testing.T) {
	w := newWorld(t)
	h := newHarness(t, w.fake, "repos: [acme/web]\n")
	h.mustSync(false)
	first := map[string]uint64{}
	saved := map[string]string{}
	for id, r := range h.store.Recs[StreamItems] {
		first[id] = r.Version
		saved[id] = string(r.Payload)
	}
	// A crash before any cursor was saved re-reads everything: same versions, same bytes.
	h.store.Cursors = map[string]json.RawMessage{}
	h.mustSync(true)
	for id, r := range h.store.Recs[StreamItems] {
		if first[id] != r.Version {
			t.Errorf("%s: version %d → %d on re-read", id, first[id], r.Version)
		}
		if saved[id] != string(r.Payload) {
			t.Errorf("%s: payload differs on re-read", id)
		}
	}
}
