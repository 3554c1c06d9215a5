package github_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/github"
	"github.com/pmohub/pmohub/connectors/github/githubfake"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

// Through the engine into chDB: a linked pull request and a board's Status move the
// work items' categories across incremental syncs, and back when they go away.
func TestEngineDerivedStates(t *testing.T) {
	if testing.Short() {
		t.Skip("chDB end-to-end")
	}
	w := whtest.New(t, "default")
	eng := &pmosync.Engine{WH: w}
	gf := startFake(t)
	gf.AddRepo("acme/web", false)
	issue := gf.AddIssue("acme/web", githubfake.IssueSpec{Title: "Checkout breaks"})
	planned := gf.AddIssue("acme/web", githubfake.IssueSpec{Title: "Planned on the board"})
	// Listed before the pull request that closes it: emitted again in the same run.
	early := gf.AddIssue("acme/web", githubfake.IssueSpec{Title: "Listed first"})
	gf.AddIssue("acme/web", githubfake.IssueSpec{Title: "Fix", Pull: true, Body: fmt.Sprintf("Fixes #%d", early.Number)})
	gf.AddProject("acme", 7, "Roadmap")
	item := gf.AddProjectItem("acme", 7, "acme/web", planned.Number, map[string]string{"Status": "In Progress", "Estimate": "5"})
	gh := source(t, github.Kind(), connectors.SourceConfig{Name: "gh", Kind: "github", URL: gf.URL(),
		Auth: connectors.Auth{"token": token}, Settings: connectors.YAMLSettings{File: "pmohub.yaml",
			Text: []byte("repos: [acme/web]\nprojects: [{org: acme, number: 7}]\n")}})
	sync := func(step string) {
		t.Helper()
		run, err := eng.Sync(context.Background(), gh, pmosync.Options{})
		if err != nil || run.Status != "succeeded" {
			t.Fatalf("%s: %+v %v", step, run, err)
		}
	}
	want := func(step string, is *githubfake.Issue, cat, status string) {
		t.Helper()
		rows := query(t, w, `SELECT status_category, attributes['project_status'] AS ps, estimate FROM %s.work_items WHERE item_id = 'gh:`+fmt.Sprint(is.ID)+`'`)
		if len(rows) != 1 || rows[0]["status_category"] != cat || rows[0]["ps"] != status {
			t.Errorf("%s: %q = %v, want %s (%q)", step, is.Title, rows, cat, status)
		}
	}
	sync("first")
	want("first", issue, "todo", "")
	want("first", early, "in_progress", "")
	want("first", planned, "in_progress", "In Progress")

	pr := gf.AddIssue("acme/web", githubfake.IssueSpec{Title: "Fix checkout", Pull: true, Body: fmt.Sprintf("Closes #%d", issue.Number)})
	gf.SetProjectValue("acme", 7, item.ID, "Status", "Done")
	sync("pull request opened, board moved")
	want("pull request opened", issue, "in_progress", "")
	want("board moved", planned, "done", "Done")

	gf.CloseIssue("acme/web", pr.Number, "alice", "")
	gf.RemoveProjectItem("acme", 7, item.ID)
	sync("pull request closed, item off the board")
	want("pull request closed", issue, "todo", "")
	want("off the board", planned, "todo", "")
	if rows := query(t, w, `SELECT count() AS n FROM %s.work_items WHERE item_id = 'gh:`+fmt.Sprint(planned.ID)+`' AND estimate IS NOT NULL`); fmt.Sprint(rows[0]["n"]) != "0" {
		t.Errorf("estimate kept off the board: %v", rows)
	}

	gf.ResetLog()
	run, err := eng.Sync(context.Background(), gh, pmosync.Options{})
	if err != nil || run.RecordsWritten != 0 || int(run.Requests) != gf.CountStatus(304) {
		t.Errorf("unchanged run: %+v %v (304s %d)", run, err, gf.CountStatus(304))
	}
}
