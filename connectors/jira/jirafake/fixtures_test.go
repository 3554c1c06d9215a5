package jirafake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	gojira "github.com/andygrunwald/go-jira"
)

const fixtures = "../../../../shared/fixtures/jira"

func fixture(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Skipf("fixtures not available: %v", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func started(t *testing.T) *Server {
	t.Helper()
	s := New(Cloud)
	s.Now = func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }
	s.Start()
	t.Cleanup(s.Close)
	s.AddProject("EX", "Example")
	sp := s.AddSprint("EX", "Sprint 1", "active")
	u := &User{AccountID: "acc-1", DisplayName: "Mia", Email: "mia@example.com"}
	s.CreateIssue("EX", Issue{Summary: "one", Assignee: u, SprintIDs: []int{sp}, Labels: []string{"x"}, Components: []string{"api"}})
	for range 45 {
		s.Transition("EX-1", "3", u)
	}
	s.CreateIssue("EX", Issue{Summary: "two"})
	return s
}

func call(t *testing.T, s *Server, method, path, body string) (int, any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	req.SetBasicAuth(s.Email, s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: not JSON: %s", method, path, b)
	}
	return resp.StatusCode, v
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sameKeys checks that every key the real payload has, the fake's has too (except the
// ones listed as optional in Jira, which the fake leaves out).
func sameKeys(t *testing.T, what string, real, fake any, optional ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, k := range keys(fake) {
		have[k] = true
	}
	for _, k := range keys(real) {
		if !have[k] && !contains(optional, k) {
			t.Errorf("%s: the fake lacks %q (fake keys %v)", what, k, keys(fake))
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func first(v any, key string) any {
	l := v.(map[string]any)[key].([]any)
	return l[0]
}

func TestFakeMatchesFixtures(t *testing.T) {
	s := started(t)

	// Enhanced search.
	_, got := call(t, s, "POST", "/rest/api/3/search/jql", `{"jql":"project = EX ORDER BY id ASC","fields":["*all"],"expand":"changelog","maxResults":1}`)
	sameKeys(t, "search page", fixture(t, "search-jql-cursor-page1.jira-cli.json"), got)
	sameKeys(t, "search issue", first(fixture(t, "search-jql-get.atlassian-openapi.json"), "issues"), first(got, "issues"))
	realFields := first(fixture(t, "search-jql-cursor-page1.jira-cli.json"), "issues").(map[string]any)["fields"]
	sameKeys(t, "search issue fields", realFields, first(got, "issues").(map[string]any)["fields"], "watches")
	realStatus := first(fixture(t, "agile-sprint-issues.go-jira.json"), "issues").(map[string]any)["fields"].(map[string]any)["status"]
	fakeStatus := first(got, "issues").(map[string]any)["fields"].(map[string]any)["status"]
	sameKeys(t, "status", realStatus, fakeStatus)
	sameKeys(t, "status category", realStatus.(map[string]any)["statusCategory"], fakeStatus.(map[string]any)["statusCategory"])
	_, last := call(t, s, "POST", "/rest/api/3/search/jql", `{"jql":"project = EX ORDER BY id ASC","fields":["summary"],"maxResults":1,"nextPageToken":"`+got.(map[string]any)["nextPageToken"].(string)+`"}`)
	if last.(map[string]any)["isLast"] != true {
		t.Errorf("second page: %v", last)
	}
	sameKeys(t, "last page", fixture(t, "search-jql-cursor-last-page.jira-cli.json"), last, "nextPageToken")

	// Both decode into go-jira's types.
	var realIssue, fakeIssue gojira.Issue
	b, _ := json.Marshal(first(fixture(t, "agile-sprint-issues.go-jira.json"), "issues"))
	if err := json.Unmarshal(b, &realIssue); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(first(got, "issues"))
	if err := json.Unmarshal(b, &fakeIssue); err != nil {
		t.Fatalf("fake issue does not decode into go-jira's Issue: %v", err)
	}
	if fakeIssue.Fields.Status.StatusCategory.Key != "indeterminate" || fakeIssue.Fields.Assignee.AccountID != "acc-1" || len(fakeIssue.Changelog.Histories) != 40 {
		t.Errorf("fake issue decoded as %+v", fakeIssue.Fields)
	}

	// Changelog page.
	_, cl := call(t, s, "GET", "/rest/api/3/issue/EX-1/changelog?startAt=2&maxResults=2", "")
	realCL := fixture(t, "issue-changelog-page.atlassian-openapi.json")
	sameKeys(t, "changelog page", realCL, cl)
	sameKeys(t, "history", first(realCL, "values"), first(cl, "values"))
	sameKeys(t, "history item", first(first(realCL, "values"), "items"), first(first(cl, "values"), "items"))

	// Projects, boards, sprints, fields.
	_, ps := call(t, s, "GET", "/rest/api/3/project/search?maxResults=1", "")
	realPS := fixture(t, "project-search-page.atlassian-openapi.json")
	sameKeys(t, "project search", realPS, ps, "nextPage")
	sameKeys(t, "project", first(realPS, "values"), first(ps, "values"), "insight", "projectCategory")
	_, boards := call(t, s, "GET", "/rest/agile/1.0/board", "")
	realBoards := fixture(t, "agile-boards.go-jira.json")
	sameKeys(t, "boards", realBoards, boards)
	sameKeys(t, "board", realBoards.(map[string]any)["values"].([]any)[5], first(boards, "values"))
	_, sprints := call(t, s, "GET", "/rest/agile/1.0/board/1/sprint", "")
	realSprints := fixture(t, "agile-board-sprints.go-jira.json")
	sameKeys(t, "sprints", realSprints, sprints)
	sameKeys(t, "sprint", realSprints.(map[string]any)["values"].([]any)[3], first(sprints, "values"))
	_, fields := call(t, s, "GET", "/rest/api/3/field", "")
	realFields2 := fixture(t, "fields-list-with-custom.jira-cli.json").([]any)
	for _, f := range fields.([]any) {
		if f.(map[string]any)["custom"] == true {
			sameKeys(t, "custom field", realFields2[1], f, "orderable")
			sameKeys(t, "field schema", realFields2[1].(map[string]any)["schema"], f.(map[string]any)["schema"])
		}
	}

	// Errors.
	status, e := call(t, s, "POST", "/rest/api/3/search/jql", `{"jql":"project = NOPE"}`)
	sameKeys(t, "error", fixture(t, "error-400-create-issue.atlassian-openapi.json"), e)
	if status != 400 || !strings.Contains(first(e, "errorMessages").(string), "'NOPE' does not exist") {
		t.Errorf("JQL error: %d %v", status, e)
	}
}

func TestFakeBehaviour(t *testing.T) {
	s := started(t)
	if code, _ := call(t, s, "GET", "/rest/api/3/search?jql=", ""); code != http.StatusGone {
		t.Errorf("old search: %d, want 410", code)
	}
	// A token only works with the JQL it was issued for.
	_, p := call(t, s, "POST", "/rest/api/3/search/jql", `{"jql":"project = EX","maxResults":1}`)
	tok := p.(map[string]any)["nextPageToken"].(string)
	if code, _ := call(t, s, "POST", "/rest/api/3/search/jql", `{"jql":"project = EX AND id > 1","nextPageToken":"`+tok+`"}`); code != 400 {
		t.Errorf("token with other JQL: %d", code)
	}
	// Without fields, only ids.
	if _, p := call(t, s, "POST", "/rest/api/3/search/jql", `{"jql":"project = EX"}`); !bytes.Equal(mustJSON(keys(first(p, "issues"))), mustJSON([]string{"id"})) {
		t.Errorf("default fields: %v", keys(first(p, "issues")))
	}
	// Auth and throttling.
	req, _ := http.NewRequest("GET", s.URL()+"/rest/api/3/myself", nil)
	req.SetBasicAuth(s.Email, "nope")
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 401 {
		t.Errorf("bad auth: %d", resp.StatusCode)
	}
	s.Throttle(1, 3, false)
	resp, _ := http.DefaultClient.Do(req)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("throttle: %d %v", resp.StatusCode, resp.Header)
	}
	if n := s.CountRequests("/myself"); n != 2 {
		t.Errorf("logged %d requests", n)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// The fake's own encoder must write what encoding/json writes.
func TestEncoderMatchesEncodingJSON(t *testing.T) {
	sp := 2.5
	vals := []any{
		obj{"a": 1, "b": "x\"y\\z\n\u2028é<>&", "c": nil, "d": []any{true, false, 3, obj{}}, "e": []string{"p", "q"},
			"f": []obj{{"z": 1, "y": 2}}, "g": sp, "h": &sp, "i": []string(nil), "j": obj(nil), "k": "\xff"},
		[]any{}, "plain", 12,
	}
	for _, v := range vals {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		got := append(appendJSON(nil, v), '\n')
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendJSON(%v)\n got %s\nwant %s", v, got, want.Bytes())
		}
	}
}

func TestFakeBulkChangelog(t *testing.T) {
	s := started(t)
	_, got := call(t, s, "POST", "/rest/api/3/changelog/bulkfetch", `{"issueIdsOrKeys":["EX-1","EX-404"],"maxResults":30}`)
	real := fixture(t, "changelog-bulkfetch-cursor.atlassian-openapi.json")
	sameKeys(t, "bulk changelog", real, got)
	sameKeys(t, "issue changelog", first(real, "issueChangeLogs"), first(got, "issueChangeLogs"))
	sameKeys(t, "bulk history", first(first(real, "issueChangeLogs"), "changeHistories"), first(first(got, "issueChangeLogs"), "changeHistories"))
	hs := first(got, "issueChangeLogs").(map[string]any)["changeHistories"].([]any)
	if len(hs) != 30 {
		t.Fatalf("first page has %d histories, want 30", len(hs))
	}
	if _, ok := hs[0].(map[string]any)["created"].(float64); !ok {
		t.Errorf("created is %T, want a number as in the fixture", hs[0].(map[string]any)["created"])
	}
	tok := got.(map[string]any)["nextPageToken"].(string)
	_, next := call(t, s, "POST", "/rest/api/3/changelog/bulkfetch", `{"issueIdsOrKeys":["EX-1","EX-404"],"maxResults":30,"nextPageToken":"`+tok+`"}`)
	rest := first(next, "issueChangeLogs").(map[string]any)["changeHistories"].([]any)
	if len(rest) != 15 || next.(map[string]any)["nextPageToken"] != nil {
		t.Errorf("second page: %d histories, token %v", len(rest), next.(map[string]any)["nextPageToken"])
	}
	if code, _ := call(t, s, "POST", "/rest/api/3/changelog/bulkfetch", `{"issueIdsOrKeys":["EX-1"],"nextPageToken":"`+tok+`"}`); code != 400 {
		t.Errorf("token with other issues: %d", code)
	}
}

// historyObj is the map form of a history, as the fake used to build it.
func historyObj(s *Server, h History, v int) obj {
	items := make([]any, 0, len(h.Items))
	for _, it := range h.Items {
		items = append(items, obj{"field": it.Field, "fieldtype": "jira", "fieldId": it.FieldID, "from": nilIfEmpty(it.From), "fromString": nilIfEmpty(it.FromString),
			"to": nilIfEmpty(it.To), "toString": nilIfEmpty(it.ToString)})
	}
	return obj{"id": h.ID, "author": s.renderUser(h.Author, v), "created": s.fmtTime(h.Created), "items": items}
}

func TestHistoryRenderedAsMapWould(t *testing.T) {
	for _, d := range []Deployment{Cloud, DataCenter} {
		s := New(d)
		s.HTTP = &httptest.Server{URL: "http://jira.example"}
		at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		for _, h := range []History{
			{ID: "1", Author: &User{AccountID: "a\"1", Name: "n", DisplayName: "Zoë \\ Q", Email: "z@x", TimeZone: "UTC"}, Created: at,
				Items: []ChangeItem{{Field: "status", FieldID: "status", From: "1", FromString: "To Do", To: "3", ToString: "In Progress"}, {Field: "labels"}}},
			{ID: "2", Created: at},
		} {
			got := s.renderHistory(h, 3, false)
			want := appendJSON(nil, historyObj(s, h, 3))
			if !bytes.Equal(got, want) {
				t.Errorf("%s history:\n got %s\nwant %s", d, got, want)
			}
		}
	}
}
