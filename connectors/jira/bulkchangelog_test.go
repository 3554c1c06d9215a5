package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

func TestJiraCreated(t *testing.T) {
	for in, want := range map[string]string{
		`{"id":"1","created":1492070429,"items":[]}`:          `{"id":"1","created":"2017-04-13T08:00:29.000+0000","items":[]}`,
		`{"id":"1","created":1492070429123}`:                  `{"id":"1","created":"2017-04-13T08:00:29.123+0000"}`,
		`{"id":"1","created":"2017-04-13T08:00:29.000+0200"}`: `{"id":"1","created":"2017-04-13T08:00:29.000+0200"}`,
		`{"id":"1"}`: `{"id":"1"}`,
	} {
		got, err := jiraCreated([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("jiraCreated(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := jiraCreated([]byte(`{"created":1.5e}`)); err == nil {
		t.Error("a malformed number was accepted")
	}
}

func TestBulkUnsupported(t *testing.T) {
	for status, want := range map[int]bool{404: true, 405: true, 410: true, 400: false, 500: false} {
		err := error(&connectors.SourceError{Source: "j", Endpoint: "POST " + bulkPath, Status: status})
		if got := bulkUnsupported(err); got != want {
			t.Errorf("status %d: unsupported = %v", status, got)
		}
	}
	if bulkUnsupported(errors.New(http.StatusText(404))) {
		t.Error("decided on error text")
	}
}

func TestSplitBulkFixture(t *testing.T) {
	data, err := os.ReadFile("../../../shared/fixtures/jira/changelog-bulkfetch-cursor.atlassian-openapi.json")
	if err != nil {
		t.Skipf("fixtures not available: %v", err)
	}
	p, err := splitBulk(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.next != "UxAQBFRF" || len(p.logs) != 1 || p.logs[0].issueID != "10100" || len(p.logs[0].histories) != 2 {
		t.Fatalf("split %+v", p)
	}
	h, err := jiraCreated(p.logs[0].histories[0])
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ ID, Created string }
	if err := json.Unmarshal(h, &got); err != nil || got.ID != "10001" || got.Created != "2017-04-13T08:00:29.000+0000" {
		t.Errorf("history %s: %+v %v", h, got, err)
	}
}

// FuzzSplitBulk feeds the bulk changelog reader arbitrary answers: it must not panic, and
// every history it returns must come out of jiraCreated as valid JSON when it went in so.
func FuzzSplitBulk(f *testing.F) {
	for _, s := range []string{
		`{"issueChangeLogs":[{"issueId":"1","changeHistories":[{"id":"2","created":1492070429}]}],"nextPageToken":"x"}`,
		`{"issueChangeLogs":[]}`, `{"issueChangeLogs":null}`, `{"issueChangeLogs":[{"issueId":1}]}`,
		`{"issueChangeLogs":[{"issueId":"1","changeHistories":[{"created":"2024-01-02T10:00:00.000+0100"},{"created":-5}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := splitBulk(data)
		if err != nil {
			return
		}
		for _, l := range p.logs {
			for _, h := range l.histories {
				out, err := jiraCreated(h)
				if err == nil && json.Valid(h) && !json.Valid(out) {
					t.Fatalf("jiraCreated(%s) = %s, not JSON", h, out)
				}
			}
		}
	})
}

func TestMovedTo(t *testing.T) {
	for items, want := range map[string]bool{
		`[{"field":"status","to":"5"}]`:                             true,
		`[{"field":"labels","to":"5"},{"field":"status","to":"5"}]`: true,
		`[{"field":"stat\u0075s","to":"\u0035"}]`:                   true,
		`[{"field":"status","to":"55"}]`:                            false,
		`[{"field":"status","to":null}]`:                            false,
		`[{"field":"status","to":5}]`:                               false,
		`null`:                                                      false,
		`[`:                                                         false,
	} {
		if got := movedTo([]byte(items), "5"); got != want {
			t.Errorf("movedTo(%s) = %v, want %v", items, got, want)
		}
	}
}

// noBulkTransport is a site without the bulk changelog endpoint.
type noBulkTransport struct{ base http.RoundTripper }

func (t noBulkTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == bulkPath {
		return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"errorMessages":["null for uri"],"errors":{}}`)), Request: r}, nil
	}
	return t.base.RoundTrip(r)
}

func TestChangelogWithoutBulkEndpoint(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 0)
	long := h.fake.Issue("BETA-2")
	for range 150 {
		h.clock.Advance(time.Second)
		h.fake.Transition("BETA-2", "3", ana)
	}
	for _, st := range h.conn.Streams() {
		env := h.env()
		env.HTTP.Transport = noBulkTransport{env.HTTP.Transport}
		if err := h.conn.Sync(context.Background(), connectors.SyncRequest{Stream: st.Name, Env: env}, h.store.emit(st.Name)); err != nil {
			t.Fatalf("sync %s: %v", st.Name, err)
		}
	}
	cl := h.store.payload(StreamIssues, fmt.Sprint(long.ID))["changelog"].(map[string]any)
	if n := len(cl["histories"].([]any)); n != 210 {
		t.Fatalf("%d histories, want 210", n)
	}
	if n := h.fake.CountRequests("/changelog") - h.fake.CountRequests("/changelog/bulkfetch"); n != 3 {
		t.Errorf("per-issue changelog requests = %d, want 3 pages of 100", n)
	}
}

// TestBulkChangelogSpansSearchPages: truncated histories found on different search pages
// are read in one bulk request, not one per page, and the sync still mirrors Jira.
func TestBulkChangelogSpansSearchPages(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 0)
	for i := range 4 {
		long := h.fake.CreateIssue("ALPHA", jirafake.Issue{Summary: fmt.Sprintf("Long %d", i), Type: "Task"})
		for j := range 60 {
			h.clock.Advance(time.Second)
			h.fake.Transition(long.Key, []string{"3", "4"}[j%2], ana)
		}
		for k := range 110 { // the next long one lands on a later search page
			h.clock.Advance(time.Second)
			h.fake.CreateIssue("ALPHA", jirafake.Issue{Summary: fmt.Sprintf("Filler %d-%d", i, k)})
		}
	}
	h.clock.Advance(time.Minute)
	h.mustSync(false)
	if n := h.fake.CountRequests("/changelog/bulkfetch"); n != 1 {
		t.Errorf("%d bulk changelog requests for truncated issues on 5 search pages, want 1", n)
	}
	checkMirror(t, h)
}
