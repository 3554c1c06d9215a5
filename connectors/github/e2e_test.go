package github_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/github"
	"github.com/pmohub/pmohub/connectors/github/githubfake"
	"github.com/pmohub/pmohub/connectors/jira"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

const token = "ghp_e2eT0kenValue"

func source(t *testing.T, kind connectors.Kind, cfg connectors.SourceConfig) *pmosync.Source {
	t.Helper()
	conn, err := kind.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Parse(kind.Name+"/mapping.yaml", kind.Mapping, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &pmosync.Source{Config: cfg, Connector: conn, Mapping: m, MappingText: kind.Mapping}
}

func query(t *testing.T, w *warehouse.Warehouse, sql string) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := w.QueryInto(context.Background(), fmt.Sprintf(sql, w.Layout().Database), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The GitHub fake and the Jira fake synced into chDB together: the pull request's Jira
// mentions resolve to the Jira items by key.
func TestSyncWithJiraFindsLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("chDB end-to-end")
	}
	w := whtest.New(t, "default")
	eng := &pmosync.Engine{WH: w}

	jf := jirafake.New(jirafake.Cloud).Start()
	t.Cleanup(jf.Close)
	jf.AddProject("ALPHA", "Alpha")
	target := jf.CreateIssue("ALPHA", jirafake.Issue{Summary: "Login form"})

	gf := startFake(t)
	gf.AddRepo("acme/web", false)
	pr := gf.AddIssue("acme/web", githubfake.IssueSpec{Title: "Login form", Pull: true,
		Head: "feature/" + target.Key, Body: "Closes " + target.Key + " and NOPE-1"})
	gf.MergePull("acme/web", pr.Number, "octocat")

	gh := source(t, github.Kind(), connectors.SourceConfig{Name: "gh", Kind: "github", URL: gf.URL(),
		Auth: connectors.Auth{"token": token}, Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte("repos: [acme/web]\n")}})
	jr := source(t, jira.Kind(), connectors.SourceConfig{Name: "jira-main", Kind: "jira", URL: jf.URL(),
		Auth:     connectors.Auth{"email": connectors.Secret(jf.Email), "token": connectors.Secret(jf.Token)},
		Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte("projects: [ALPHA]\n")}})
	for _, r := range eng.SyncAll(context.Background(), []*pmosync.Source{gh, jr}, pmosync.Options{}) {
		if r.Err != nil || r.Run.Status != "succeeded" {
			t.Fatalf("%s: %+v %v", r.Run.Source, r.Run, r.Err)
		}
	}
	links := query(t, w, `SELECT l.from_id AS from_id, l.to_id AS to_id, l.kind AS kind, l.origin AS origin, j.item_id AS jira_item
		FROM %[1]s.links AS l LEFT JOIN %[1]s.work_items AS j ON j.source_kind = 'jira' AND concat('jira-key:', j.key) = l.to_id
		WHERE l.origin = 'mention' ORDER BY to_id`)
	if len(links) != 2 {
		t.Fatalf("mention links: %v", links)
	}
	got := links[0]
	if got["to_id"] != "jira-key:"+target.Key || got["kind"] != "implements" || got["jira_item"] != fmt.Sprintf("jira-main:%d", target.ID) {
		t.Errorf("link to the Jira item: %v", got)
	}
	if links[1]["to_id"] != "jira-key:NOPE-1" || links[1]["jira_item"] != "" {
		t.Errorf("a key with no Jira item stays a reference: %v", links[1])
	}
	items := query(t, w, `SELECT item_id, status_category, type_category FROM %s.work_items WHERE source = 'gh'`)
	if len(items) != 1 || items[0]["status_category"] != "done" || items[0]["type_category"] != "pull_request" {
		t.Errorf("github items: %v", items)
	}
}

// startFake starts a fake GitHub that accepts token, stopped with the test.
func startFake(tb testing.TB) *githubfake.Server {
	gf := githubfake.New(token).Start()
	tb.Cleanup(gf.Close)
	return gf
}

// Full, incremental and unchanged runs through the engine, with throttling counted.
func TestEngineSyncRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("chDB end-to-end")
	}
	w := whtest.New(t, "default")
	eng := &pmosync.Engine{WH: w}
	gf := startFake(t)
	gf.RetryAfter = 0
	gf.AddRepo("acme/web", false)
	var issues []*githubfake.Issue
	for i := range 30 {
		issues = append(issues, gf.AddIssue("acme/web", githubfake.IssueSpec{Title: fmt.Sprintf("Item %d \"q\" \\ 🚀", i), Labels: []string{"bug"}}))
	}
	gh := source(t, github.Kind(), connectors.SourceConfig{Name: "gh", Kind: "github", URL: gf.URL(),
		Auth: connectors.Auth{"token": token}, Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte("repos: [acme/web]\npage_size: 10\n")}})
	// Waits are recorded, not slept.
	var waits []time.Duration
	gh.Connector.(*github.Connector).Sleep = func(_ <-chan struct{}, d time.Duration) bool { waits = append(waits, d); return true }
	gf.Throttle(2, githubfake.Secondary429)
	run, err := eng.Sync(context.Background(), gh, pmosync.Options{})
	if err != nil || run.Status != "succeeded" || run.Throttled != 2 || len(waits) != 2 {
		t.Fatalf("full run: %+v %v (waits %v)", run, err, waits)
	}
	gf.CloseIssue("acme/web", issues[3].Number, "octocat", "not_planned")
	gf.DeleteIssue("acme/web", issues[4].Number)
	run, err = eng.Sync(context.Background(), gh, pmosync.Options{})
	if err != nil || run.RecordsRead == 0 {
		t.Fatalf("incremental run: %+v %v", run, err)
	}
	gf.ResetLog()
	run, err = eng.Sync(context.Background(), gh, pmosync.Options{})
	if err != nil || run.RecordsRead != 0 || run.RecordsWritten != 0 || int(run.Requests) != gf.CountStatus(304) {
		t.Fatalf("unchanged run: %+v %v (304s %d)", run, err, gf.CountStatus(304))
	}
	rows := query(t, w, `SELECT item_id, status_category, title FROM %s.work_items ORDER BY item_id`)
	cats := map[string]int{}
	for _, r := range rows {
		cats[r["status_category"].(string)]++
	}
	if len(rows) != 30 || cats["cancelled"] != 1 {
		t.Errorf("work items: %d rows, categories %v", len(rows), cats)
	}
	// A full run finds the deleted issue (the sweep) and it leaves the views.
	if _, err := eng.Sync(context.Background(), gh, pmosync.Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	if rows := query(t, w, `SELECT item_id FROM %s.work_items`); len(rows) != 29 {
		t.Errorf("after the sweep: %d rows", len(rows))
	}
}

// BenchmarkEngineFullSync: 50,000 issues and pull requests from the fake through the
// sync engine into chDB (BENCH_ITEMS shrinks it).
func BenchmarkEngineFullSync(b *testing.B) {
	n := 50_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_ITEMS")); err == nil && v > 0 {
		n = v
	}
	gf := startFake(b)
	gf.SetRateLimit(1 << 30)
	var repos []string
	for r := range 5 {
		name := fmt.Sprintf("acme/svc-%d", r)
		repos = append(repos, name)
		gf.AddRepo(name, false)
		for i := range n / 5 {
			spec := githubfake.IssueSpec{Title: fmt.Sprintf("ALPHA-%d: item", i), Labels: []string{"bug"}, Body: "Lorem ipsum dolor sit amet."}
			if i%10 < 3 {
				// Closes the issue four items back (open for odd i), as in bigWorld.
				spec.Pull, spec.Body = true, fmt.Sprintf("Closes #%d. %s", i-3, spec.Body)
			}
			is := gf.AddIssue(name, spec)
			if i%2 == 0 {
				if spec.Pull {
					gf.MergePull(name, is.Number, "bob")
				} else {
					gf.CloseIssue(name, is.Number, "bob", "completed")
				}
			}
		}
	}
	text := "repos: [" + strings.Join(repos, ", ") + "]\npeople: false\n"
	for b.Loop() {
		w := whtest.New(b, "default")
		eng := &pmosync.Engine{WH: w}
		gh := sourceB(b, connectors.SourceConfig{Name: "gh", Kind: "github", URL: gf.URL(),
			Auth: connectors.Auth{"token": token}, Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(text)}})
		start := time.Now()
		run, err := eng.Sync(context.Background(), gh, pmosync.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "items/s")
		b.ReportMetric(float64(run.Requests), "requests")
		b.ReportMetric(float64(run.RecordsRead), "records")
	}
}

func sourceB(b *testing.B, cfg connectors.SourceConfig) *pmosync.Source {
	kind := github.Kind()
	conn, err := kind.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	m, err := mappings.Parse("github/mapping.yaml", kind.Mapping, nil)
	if err != nil {
		b.Fatal(err)
	}
	return &pmosync.Source{Config: cfg, Connector: conn, Mapping: m, MappingText: kind.Mapping}
}
