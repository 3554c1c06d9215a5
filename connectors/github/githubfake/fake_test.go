package githubfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v66/github"

	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

const token = "t0ken-for-tests"

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	// shared/ sits beside the clone, as on CI
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "fixtures", "github", name))
	if err != nil {
		t.Skipf("fixture %s not available: %v", name, err)
	}
	return b
}

func keys(t *testing.T, raw []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v: %.200s", err, raw)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func first(t *testing.T, raw []byte) []byte {
	t.Helper()
	var l []json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil || len(l) == 0 {
		t.Fatalf("not a non-empty list: %v %.200s", err, raw)
	}
	return l[0]
}

func get(t *testing.T, f *githubfake.Server, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func diff(a, b []string) []string {
	var out []string
	for _, k := range a {
		if !slices.Contains(b, k) {
			out = append(out, k)
		}
	}
	return out
}

func world(t *testing.T) *githubfake.Server {
	f := githubfake.New(token).Start()
	t.Cleanup(f.Close)
	f.AddRepo("octocat/Hello-World", false)
	due := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	m := f.AddMilestone("octocat/Hello-World", "v1.0", &due)
	f.AddIssue("octocat/Hello-World", githubfake.IssueSpec{Title: "Found a bug", Labels: []string{"bug"}, Assignees: []string{"octocat"}, Milestone: m.Number})
	f.AddIssue("octocat/Hello-World", githubfake.IssueSpec{Title: "Amazing new feature", Pull: true, Labels: []string{"bug"}, Assignees: []string{"octocat"}, Milestone: m.Number})
	return f
}

// The fake's answers have the keys of GitHub's own payloads in shared/fixtures/github.
func TestShapesMatchFixtures(t *testing.T) {
	f := world(t)
	_, issues := get(t, f, "repos/octocat/Hello-World/issues?state=all&sort=created&direction=asc")
	var list []json.RawMessage
	_ = json.Unmarshal(issues, &list)
	if len(list) != 2 {
		t.Fatalf("issues: %s", issues)
	}
	// Newer API fields (the octokit fixture is recorded later than the 2020 spec).
	newer := []string{"reactions", "timeline_url", "performed_via_github_app", "state_reason", "draft"}
	spec := first(t, fixture(t, "list-repo-issues-with-pr-entry.github-openapi-2020.json"))
	var octo []struct {
		Response json.RawMessage `json:"response"`
	}
	_ = json.Unmarshal(fixture(t, "list-issues-paginated.octokit-fixture.json"), &octo)
	recorded := first(t, octo[0].Response)

	prEntry := keys(t, list[1])
	if missing := diff(keys(t, spec), prEntry); len(missing) > 0 {
		t.Errorf("pull request issue entry lacks %v", missing)
	}
	if extra := diff(prEntry, append(keys(t, spec), newer...)); len(extra) > 0 {
		t.Errorf("pull request issue entry has unknown keys %v", extra)
	}
	plain := keys(t, list[0])
	if missing := diff(keys(t, recorded), plain); len(missing) > 0 {
		t.Errorf("issue lacks recorded keys %v", missing)
	}
	var is, fx map[string]json.RawMessage
	_ = json.Unmarshal(list[0], &is)
	_ = json.Unmarshal(spec, &fx)
	for _, nested := range []string{"user", "milestone"} {
		if got, want := keys(t, is[nested]), keys(t, fx[nested]); !slices.Equal(got, want) {
			t.Errorf("%s keys %v, want %v", nested, got, want)
		}
	}
	if got, want := keys(t, first(t, is["labels"])), keys(t, first(t, fx["labels"])); !slices.Equal(got, want) {
		t.Errorf("label keys %v, want %v", got, want)
	}

	_, pulls := get(t, f, "repos/octocat/Hello-World/pulls?state=all")
	fxPull := first(t, fixture(t, "list-pull-requests.github-openapi-2020.json"))
	if got, want := keys(t, first(t, pulls)), keys(t, fxPull); !slices.Equal(got, want) {
		t.Errorf("pull list keys: missing %v, extra %v", diff(want, got), diff(got, want))
	}
	var p, fp map[string]json.RawMessage
	_ = json.Unmarshal(first(t, pulls), &p)
	_ = json.Unmarshal(fxPull, &fp)
	if got, want := keys(t, p["head"]), keys(t, fp["head"]); !slices.Equal(got, want) {
		t.Errorf("head keys %v, want %v", got, want)
	}
	_, detail := get(t, f, "repos/octocat/Hello-World/pulls/2")
	if extra := diff(keys(t, detail), keys(t, fixture(t, "get-pull-request.github-openapi-2020.json"))); len(extra) > 0 {
		t.Errorf("pull detail has unknown keys %v", extra)
	}

	_, ms := get(t, f, "repos/octocat/Hello-World/milestones?state=all")
	if got, want := keys(t, first(t, ms)), keys(t, first(t, fixture(t, "list-milestones.github-openapi-2020.json"))); !slices.Equal(got, want) {
		t.Errorf("milestone keys: missing %v, extra %v", diff(want, got), diff(got, want))
	}
	_, repo := get(t, f, "repos/octocat/Hello-World")
	if extra := diff(keys(t, repo), keys(t, fixture(t, "get-repository.github-openapi-2020.json"))); len(extra) > 0 {
		t.Errorf("repository has unknown keys %v", extra)
	}

	// The same go-github structs read both.
	var a, b gh.Issue
	if json.Unmarshal(list[1], &a) != nil || json.Unmarshal(spec, &b) != nil || a.PullRequestLinks == nil || b.PullRequestLinks == nil {
		t.Errorf("go-github cannot read both issue entries alike")
	}
}

func TestErrorsAndPagination(t *testing.T) {
	f := world(t)
	for i := 0; i < 5; i++ {
		f.AddIssue("octocat/Hello-World", githubfake.IssueSpec{Title: "more"})
	}
	c := gh.NewClient(nil).WithAuthToken(token)
	c.BaseURL, _ = c.BaseURL.Parse(f.URL())
	issues, resp, err := c.Issues.ListByRepo(context.Background(), "octocat", "Hello-World", &gh.IssueListByRepoOptions{State: "all", ListOptions: gh.ListOptions{PerPage: 3}})
	if err != nil || len(issues) != 3 || resp.NextPage != 2 || resp.LastPage != 3 {
		t.Fatalf("page 1: %v, %d issues, next %d last %d", err, len(issues), resp.NextPage, resp.LastPage)
	}
	if resp.Rate.Limit != 5000 || resp.Rate.Remaining >= 5000 {
		t.Errorf("rate headers: %+v", resp.Rate)
	}
	// Link header layout as the octokit recording has it.
	var octo []struct {
		Headers map[string]string `json:"headers"`
	}
	_ = json.Unmarshal(fixture(t, "list-issues-paginated.octokit-fixture.json"), &octo)
	want := octo[1].Headers["link"]
	got := resp.Header.Get("Link")
	rels := func(s string) (out []string) {
		for _, p := range strings.Split(s, ", ") {
			out = append(out, p[strings.Index(p, ";"):])
		}
		return out
	}
	if g := rels(got); len(g) != 2 || !slices.Contains(rels(want), g[0]) {
		t.Errorf("Link %q does not look like %q", got, want)
	}

	// ETag → 304, not counted against the limit.
	req, _ := c.NewRequest("GET", "repos/octocat/Hello-World", nil)
	r1, err := c.Do(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("If-None-Match", r1.Header.Get("ETag"))
	r2, err := c.Do(context.Background(), req, nil)
	var er *gh.ErrorResponse
	if r2 == nil || r2.StatusCode != http.StatusNotModified || !errors.As(err, &er) || r2.Rate.Remaining != r1.Rate.Remaining {
		t.Errorf("conditional request: %v %v (remaining %d → %d)", r2, err, r1.Rate.Remaining, r2.Rate.Remaining)
	}

	// Errors in GitHub's shape.
	fx := fixture(t, "error-422-validation.octokit-fixture.json")
	var errFx []struct {
		Response json.RawMessage `json:"response"`
	}
	_ = json.Unmarshal(fx, &errFx)
	resp404, body := get(t, f, "repos/octocat/nope")
	if resp404.StatusCode != 404 || len(diff([]string{"message", "documentation_url"}, keys(t, body))) > 0 ||
		len(diff([]string{"message", "documentation_url"}, keys(t, errFx[0].Response))) > 0 {
		t.Errorf("404 body %s", body)
	}
	bad := githubfake.New("other").Start()
	defer bad.Close()
	r401, body := get(t, bad, "repos/octocat/Hello-World")
	if r401.StatusCode != 401 || !strings.Contains(string(body), "Bad credentials") {
		t.Errorf("bad token: %d %s", r401.StatusCode, body)
	}
	f.DeleteIssue("octocat/Hello-World", 1)
	if r, _ := get(t, f, "repos/octocat/Hello-World/issues/1"); r.StatusCode != http.StatusGone {
		t.Errorf("deleted issue: %d", r.StatusCode)
	}
	f.Throttle(1, githubfake.Primary429)
	if r, _ := get(t, f, "repos/octocat/Hello-World"); r.StatusCode != 429 || r.Header.Get("X-RateLimit-Remaining") != "0" || r.Header.Get("X-RateLimit-Reset") == "" {
		t.Errorf("primary 429: %d %v", r.StatusCode, r.Header)
	}
	f.Throttle(1, githubfake.Secondary403)
	if r, _ := get(t, f, "repos/octocat/Hello-World"); r.StatusCode != 403 || r.Header.Get("Retry-After") == "" {
		t.Errorf("secondary 403: %d %v", r.StatusCode, r.Header)
	}
	if n := len(f.Requests()); n != 7 { // list, two conditional gets, 404, 410, 429, 403
		t.Errorf("request log has %d entries", n)
	}
}

func TestEnterpriseLayout(t *testing.T) {
	f := world(t)
	f.Enterprise = true
	c, err := gh.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(strings.TrimSuffix(f.URL(), "api/v3/"), strings.TrimSuffix(f.URL(), "api/v3/"))
	if err != nil {
		t.Fatal(err)
	}
	repo, resp, err := c.Repositories.Get(context.Background(), "octocat", "Hello-World")
	if err != nil || repo.GetFullName() != "octocat/Hello-World" {
		t.Fatalf("enterprise get: %v", err)
	}
	if resp.Header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("enterprise fake sent rate-limit headers")
	}
	if r, _ := get(t, f, "../repos/octocat/Hello-World"); r.StatusCode != 404 {
		t.Errorf("root path on enterprise: %d", r.StatusCode)
	}
}
