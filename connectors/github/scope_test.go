package github

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

func TestProjectsV2(t *testing.T) {
	w := newWorld(t)
	w.fake.AddProject("acme", 7, "Roadmap")
	it := w.fake.AddProjectItem("acme", 7, "acme/web", w.pr.Number, map[string]string{"Status": "Todo", "Iteration": "Iteration 1"})
	h := newHarness(t, w.fake, "repos: [acme/web]\nprojects: [{org: acme, number: 7}]\n")
	h.mustSync(false)
	rec, ok := h.store.get(StreamProjectItems, itoa(it.ID))
	if !ok {
		t.Fatal("project item not stored")
	}
	if field(t, rec.Payload, "derived.status") != "Todo" || field(t, rec.Payload, "derived.iteration") != "Iteration 1" ||
		field(t, rec.Payload, "project") != "acme/7" || field(t, rec.Payload, "item.content.number") != float64(w.pr.Number) {
		t.Errorf("project item payload: %s", rec.Payload)
	}
	// Unchanged: the fields and the one page answer 304.
	w.fake.ResetLog()
	h.mustSync(false)
	for _, r := range w.fake.Requests() {
		if strings.Contains(r.Path, "projectsV2") && r.Status != http.StatusNotModified {
			t.Errorf("unchanged board: %s answered %d", r.Path, r.Status)
		}
	}
	w.fake.SetProjectValue("acme", 7, it.ID, "Status", "In Progress")
	h.mustSync(false)
	rec, _ = h.store.get(StreamProjectItems, itoa(it.ID))
	if field(t, rec.Payload, "derived.status") != "In Progress" {
		t.Errorf("status after change: %s", field(t, rec.Payload, "derived.status"))
	}
}

func TestOrgWithHundredsOfRepositories(t *testing.T) {
	f := githubfake.New(testToken).Start()
	t.Cleanup(f.Close)
	for i := range 230 {
		f.AddRepo(fmt.Sprintf("acme/repo-%03d", i), false)
	}
	f.SetArchived("acme/repo-007", true)
	f.AddIssue("acme/repo-042", githubfake.IssueSpec{Title: "deep in the org"})
	h := newHarness(t, f, "orgs: [acme]\npeople: false\n")
	h.mustSync(false)
	if n := h.store.count(StreamRepositories); n != 229 {
		t.Errorf("repositories = %d, want 229 (archived skipped)", n)
	}
	if n := h.store.count(StreamItems); n != 1 {
		t.Errorf("items = %d, want 1", n)
	}
	var cur itemsCursor
	_ = jsonUnmarshal(h.store.Cursors[StreamItems], &cur)
	if _, ok := cur.Repos["acme/repo-007"]; ok {
		t.Error("archived repository was read")
	}
	// Unchanged: every list page and repository answers 304.
	f.ResetLog()
	h.mustSync(false)
	if n := len(f.Requests()); n != 3+229*3 || f.CountStatus(http.StatusNotModified) != n {
		t.Errorf("unchanged org sync: %d requests, %d of them 304", n, f.CountStatus(http.StatusNotModified))
	}
	with := newHarness(t, f, "orgs: [acme]\ninclude_archived: true\npeople: false\n")
	if err := with.conn.Sync(t.Context(), connectors.SyncRequest{Stream: StreamRepositories, Env: with.env()}, with.store.emit(StreamRepositories)); err != nil {
		t.Fatal(err)
	}
	if n := with.store.count(StreamRepositories); n != 230 {
		t.Errorf("with include_archived: %d repositories", n)
	}
}
