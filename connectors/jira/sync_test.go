package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

const alphaBeta = "projects: [ALPHA, BETA]\n"

func TestFullSyncCloud(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 230)
	h.mustSync(false)
	checkMirror(t, h)

	// Lookups.
	if n := h.store.count(StreamStatuses); n != 6 {
		t.Errorf("statuses: %d, want 6", n)
	}
	if n := h.store.count(StreamProjects); n != 2 {
		t.Errorf("projects: %d, want 2 (OTHER is out of scope)", n)
	}
	if n := h.store.count(StreamSprints); n != 2 {
		t.Errorf("sprints: %d, want 2", n)
	}
	if h.store.payload(StreamFields, jirafake.FieldSprint) == nil {
		t.Error("fields: sprint field metadata not stored")
	}

	// The story carries its resolved custom fields under "pmohub".
	story := h.fake.Issue("ALPHA-2")
	p := h.store.payload(StreamIssues, fmt.Sprint(story.ID))
	pm := p["pmohub"].(map[string]any)
	if pm["story_points"] != 5.0 || pm["sprint"] != "Sprint 7" || pm["sprint_state"] != "active" || pm["parent_key"] != "ALPHA-1" {
		t.Errorf("pmohub = %v", pm)
	}
	if pm["assignee_id"] != "acc-bo" || pm["reporter_id"] != "acc-ana" {
		t.Errorf("pmohub people ids = %v / %v", pm["assignee_id"], pm["reporter_id"])
	}
	if fields := p["fields"].(map[string]any); fields[jirafake.FieldStoryPoints] != 5.0 {
		t.Errorf("the raw custom field must stay as fetched, got %v", fields[jirafake.FieldStoryPoints])
	}

	// Requests: the minimum is the search pages at 100 issues each plus one changelog
	// page per truncated issue; the rest is a fixed handful.
	issues := len(inScope(h.fake))
	searches := h.fake.CountRequests("/search/jql")
	if want := (issues + 99) / 100; searches != want {
		t.Errorf("search requests = %d, want %d", searches, want)
	}
	if n := h.fake.CountRequests("/changelog"); n != 1 {
		t.Errorf("changelog requests = %d, want 1 (one truncated issue of 61 histories)", n)
	}
	if got := h.stats.Requests.Load(); got != int64(len(h.fake.Requests())) {
		t.Errorf("stats counted %d requests, fake saw %d", got, len(h.fake.Requests()))
	}
	for _, r := range h.fake.Requests() {
		if r.Path == "/rest/api/3/search" || r.Path == "/rest/api/2/search" {
			t.Errorf("called the removed endpoint %s", r.Path)
		}
	}
}

func TestChangelogCompleted(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 0)
	long := h.fake.Issue("BETA-2")
	for range 150 { // beyond one changelog page too
		h.clock.Advance(time.Second)
		h.fake.Transition("BETA-2", "3", ana)
	}
	h.mustSync(false)
	p := h.store.payload(StreamIssues, fmt.Sprint(long.ID))
	cl := p["changelog"].(map[string]any)
	hs := cl["histories"].([]any)
	if len(hs) != 210 || cl["total"] != 210.0 || cl["startAt"] != 0.0 {
		t.Fatalf("changelog: %d histories, total %v startAt %v; want 210 complete", len(hs), cl["total"], cl["startAt"])
	}
	seen := map[string]bool{}
	for _, hh := range hs {
		id := hh.(map[string]any)["id"].(string)
		if seen[id] {
			t.Fatalf("history %s twice", id)
		}
		seen[id] = true
	}
	// One bulk request instead of 3 pages of 100 on the per-issue endpoint.
	if n, bulk := h.fake.CountRequests("/changelog"), h.fake.CountRequests("/changelog/bulkfetch"); n != 1 || bulk != 1 {
		t.Errorf("changelog requests = %d (bulk %d), want one bulk request", n, bulk)
	}
	if got := hs[0].(map[string]any)["created"]; got != long.Changelog[0].Created.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05.000-0700") {
		t.Errorf("first history created %v, want Jira's time format", got)
	}
}

func TestIncrementalAfterChanges(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 20)
	h.mustSync(false)

	h.clock.Advance(10 * time.Minute)
	h.fake.UpdateIssue("ALPHA-5", func(is *jirafake.Issue) { is.Summary = "Renamed" })
	h.fake.Transition("ALPHA-2", "3", bo)
	created := h.fake.CreateIssue("BETA", jirafake.Issue{Summary: "New one"})
	gone := h.fake.Issue("ALPHA-6")
	h.fake.DeleteIssue("ALPHA-6")
	moved := h.fake.Issue("ALPHA-7")
	newKey := h.fake.MoveIssue("ALPHA-7", "BETA")
	out := h.fake.Issue("ALPHA-8")
	h.fake.MoveIssue("ALPHA-8", "OTHER") // leaves the scope
	h.clock.Advance(time.Minute)
	h.fake.ResetRequests()

	h.mustSync(false)
	checkMirror(t, h)
	if h.store.payload(StreamIssues, fmt.Sprint(gone.ID)) != nil {
		t.Error("deleted issue still stored")
	}
	if h.store.payload(StreamIssues, fmt.Sprint(out.ID)) != nil {
		t.Error("issue moved out of scope still stored")
	}
	if p := h.store.payload(StreamIssues, fmt.Sprint(moved.ID)); p == nil || p["key"] != newKey {
		t.Errorf("moved issue: %v, want key %s under the same id", p["key"], newKey)
	}
	if h.store.payload(StreamIssues, fmt.Sprint(created.ID)) == nil {
		t.Error("created issue missing")
	}
	if sweeps(h) != 1 {
		t.Errorf("deletions need exactly one id sweep page, got %d", sweeps(h))
	}
	// The incremental search asks only for changes since the cursor minus the overlap,
	// written in the Jira user's time zone (Europe/Berlin: the newest change was 09:03 UTC).
	var jqls []string
	for _, r := range h.fake.Requests() {
		if strings.Contains(r.JQL, "updated >=") {
			jqls = append(jqls, r.JQL)
		}
	}
	if len(jqls) != 1 || !strings.Contains(jqls[0], `updated >= "2025/03/10 10:01"`) {
		t.Errorf("incremental searches: %q", jqls)
	}
}

func TestUnchangedSyncIsCheap(t *testing.T) {
	for _, d := range []jirafake.Deployment{jirafake.Cloud, jirafake.DataCenter} {
		t.Run(string(d), func(t *testing.T) {
			h := newHarness(t, d, alphaBeta)
			seed(h, 300)
			h.mustSync(false)
			h.clock.Advance(5 * time.Minute)
			h.fake.ResetRequests()
			pages := len(h.store.pages)
			start := time.Now()
			h.mustSync(false)
			took := time.Since(start)
			reqs := h.fake.Requests()
			if len(reqs) > 3 {
				t.Errorf("unchanged sync made %d requests (want ≤ 3): %v", len(reqs), reqs)
			}
			if took > time.Second {
				t.Errorf("unchanged sync took %v", took)
			}
			for _, p := range h.store.pages[pages:] {
				if len(p.Records) != 0 {
					t.Errorf("unchanged sync wrote %d records", len(p.Records))
				}
			}
		})
	}
}

func TestCursorNotAdvancedPastUnwrittenData(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 250)
	h.store.failAfter = 1 // the first issues page is written, then the warehouse fails
	for _, st := range []string{StreamFields, StreamStatuses, StreamProjects, StreamSprints} {
		h.store.failAfter = 0
		if err := h.syncStream(st, false); err != nil {
			t.Fatal(err)
		}
	}
	h.store.failAfter = len(h.store.pages) + 1
	if err := h.syncStream(StreamIssues, false); err == nil {
		t.Fatal("want the emit error")
	}
	// Issues whose histories wait for a bulk read hold the cursor back: then none is
	// saved yet, which is the safe answer too.
	var cur issuesCursor
	if c := h.store.Cursors[StreamIssues]; c != nil {
		if err := json.Unmarshal(c, &cur); err != nil {
			t.Fatal(err)
		}
	}
	var newest time.Time
	for id := range h.store.Recs[StreamIssues] {
		p := h.store.payload(StreamIssues, id)
		u, _ := parseJiraTime(p["fields"].(map[string]any)["updated"].(string))
		if u.After(newest) {
			newest = u
		}
	}
	if cur.Since.After(newest.UTC()) {
		t.Errorf("cursor since %v passes the newest written %v", cur.Since, newest)
	}
	h.store.failAfter = 0
	h.mustSync(false)
	checkMirror(t, h)
}

func TestIssueShiftedWhilePaging(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 250)
	// After the first page, an issue of that page changes: it moves to the end of the
	// result and every later issue shifts one place, so an offset-based next page skips one.
	store := h.store
	base := store.emit(StreamIssues)
	done := false
	emit := func(ctx context.Context, p connectors.Page) error {
		if !done && len(p.Records) > 0 { // after the first search page
			done = true
			h.clock.Advance(time.Minute)
			h.fake.UpdateIssue("ALPHA-1", func(is *jirafake.Issue) { is.Summary = "Edited while syncing" })
		}
		return base(ctx, p)
	}
	for _, st := range h.conn.Streams() {
		e := store.emit(st.Name)
		if st.Name == StreamIssues {
			e = emit
		}
		if err := h.conn.Sync(context.Background(), connectors.SyncRequest{Stream: st.Name, Env: h.env()}, e); err != nil {
			t.Fatal(err)
		}
	}
	if !done {
		t.Fatal("hook did not run")
	}
	checkMirror(t, h)
	if sweeps(h) == 0 {
		t.Error("the shifted issue should have been found by the id sweep")
	}
}

// sweeps counts the id-only sweep searches.
func sweeps(h *harness) int {
	n := 0
	for _, r := range h.fake.Requests() {
		if strings.Contains(r.JQL, "ORDER BY id ASC") && !strings.Contains(r.JQL, "id in") {
			n++
		}
	}
	return n
}

func TestFullResyncTombstonesWithoutSweep(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 10)
	h.mustSync(false)
	gone := h.fake.Issue("ALPHA-3")
	h.fake.DeleteIssue("ALPHA-3")
	h.fake.ResetRequests()
	h.mustSync(true)
	checkMirror(t, h)
	if h.store.payload(StreamIssues, fmt.Sprint(gone.ID)) != nil {
		t.Error("deleted issue survived --full")
	}
	// The full pass saw everything: the count agrees and no id sweep is needed.
	if n := sweeps(h); n != 0 {
		t.Errorf("%d unexpected sweep requests", n)
	}
}
