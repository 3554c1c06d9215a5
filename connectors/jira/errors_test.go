package jira

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

func sourceErr(t *testing.T, err error) *connectors.SourceError {
	t.Helper()
	var se *connectors.SourceError
	if !errors.As(err, &se) {
		t.Fatalf("want a *connectors.SourceError, got %T: %v", err, err)
	}
	if se.Source != "jira-main" || se.Endpoint == "" {
		t.Errorf("error does not name source and endpoint: %+v", se)
	}
	return se
}

func TestRateLimitedThenSucceeds(t *testing.T) {
	for _, unavailable := range []bool{false, true} {
		t.Run(fmt.Sprint("503=", unavailable), func(t *testing.T) {
			h := newHarness(t, jirafake.Cloud, alphaBeta)
			seed(h, 5)
			h.fake.Throttle(3, 7, unavailable)
			h.mustSync(false)
			checkMirror(t, h)
			if got := h.stats.Throttled.Load(); got != 3 {
				t.Errorf("throttled = %d, want 3", got)
			}
			if len(h.sleeps) != 3 {
				t.Fatalf("sleeps = %v, want 3 waits", h.sleeps)
			}
			for _, d := range h.sleeps {
				// Retry-After 7s plus jitter (0.5 × 25%), never less than asked.
				if d < 7*time.Second || d > 9*time.Second {
					t.Errorf("wait %v, want Retry-After 7s with a little jitter", d)
				}
			}
		})
	}
}

func TestLongOutageFailsClearly(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 5)
	h.mustSync(false)
	before := maps.Clone(h.store.Recs[StreamIssues])
	cursor := string(h.store.Cursors[StreamIssues])
	h.clock.Advance(2 * time.Hour)
	h.fake.UpdateIssue("ALPHA-2", func(is *jirafake.Issue) { is.Summary = "changed" })
	h.fake.Throttle(1_000_000, 30, false)
	err := h.syncStream(StreamIssues, false)
	se := sourceErr(t, err)
	if se.Status != http.StatusTooManyRequests || !strings.Contains(se.Error(), "throttled or unavailable") {
		t.Errorf("error = %v", err)
	}
	var total time.Duration
	for _, d := range h.sleeps {
		total += d
	}
	if total > 10*time.Minute {
		t.Errorf("waited %v, over the 10m give-up", total)
	}
	if string(h.store.Cursors[StreamIssues]) != cursor || !maps.EqualFunc(before, h.store.Recs[StreamIssues], func(a, b connectors.StoredRecord) bool { return a.Version == b.Version }) {
		t.Error("a failed sync changed the warehouse or advanced the cursor")
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name     string
		settings string
		setup    func(h *harness)
		wrongPW  bool
		stream   string
		status   int
		want     []string
	}{
		{name: "wrong credentials", settings: alphaBeta, wrongPW: true, stream: StreamIssues, status: 401,
			want: []string{"HTTP 401", "authenticated", "check auth"}},
		{name: "JQL error", settings: "jql: 'project = ALPHA AND bogus = 1'\n", stream: StreamIssues, status: 400,
			want: []string{"Field 'bogus' does not exist", "check projects and jql"}},
		{name: "missing project in JQL", settings: "projects: [ALPHA, NOPE]\n", stream: StreamIssues, status: 400,
			want: []string{"The value 'NOPE' does not exist for the field 'project'"}},
		{name: "missing project", settings: "projects: [ALPHA, NOPE]\n", stream: StreamProjects,
			want: []string{"project NOPE does not exist", "check projects in pmohub.yaml"}},
		{name: "HTML instead of JSON", settings: alphaBeta, stream: StreamIssues, status: 200,
			setup: func(h *harness) { h.fake.SetFault(jirafake.FaultHTML, -1) },
			want:  []string{"HTML instead of JSON", "site root"}},
		{name: "truncated body", settings: alphaBeta, stream: StreamIssues, status: 200,
			setup: func(h *harness) { h.fake.SetFault(jirafake.FaultTruncate, -1) },
			want:  []string{"not valid JSON", "run the sync again"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, jirafake.Cloud, tc.settings)
			seed(h, 2)
			if tc.wrongPW {
				h.conn = h.connector(tc.settings, h.fake.Email, "wrong-token-xyz")
			}
			if tc.setup != nil {
				tc.setup(h)
			}
			err := h.syncStream(tc.stream, false)
			se := sourceErr(t, err)
			if se.Status != tc.status {
				t.Errorf("status %d, want %d (%v)", se.Status, tc.status, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, secret := range []string{h.fake.Token, "wrong-token-xyz"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks the token: %v", err)
				}
			}
			if h.store.count(StreamIssues) != 0 {
				t.Error("a failed sync wrote issues")
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]struct {
		url, settings string
		auth          connectors.Auth
		want          string
	}{
		"unknown key":   {"https://x.atlassian.net", "projects: [A]\nprojcts: [B]\n", connectors.Auth{"token": "t"}, "pmohub.yaml"},
		"no scope":      {"https://x.atlassian.net", "", connectors.Auth{"token": "t"}, "set projects or jql"},
		"no token":      {"https://x.atlassian.net", alphaBeta, connectors.Auth{"email": "a@b.c"}, "auth needs token"},
		"bad url":       {"acme.atlassian.net", alphaBeta, connectors.Auth{"token": "t"}, "site root"},
		"order by":      {"https://x.atlassian.net", "jql: project = A ORDER BY key\n", connectors.Auth{"token": "t"}, "ORDER BY"},
		"bad key":       {"https://x.atlassian.net", "projects: ['A\" OR 1=1']\n", connectors.Auth{"token": "t"}, "project key"},
		"bad overlap":   {"https://x.atlassian.net", "projects: [A]\noverlap: soon\n", connectors.Auth{"token": "t"}, "invalid duration \"soon\""},
		"bad deploymnt": {"https://x.atlassian.net", "projects: [A]\ndeployment: onprem\n", connectors.Auth{"token": "t"}, "deployment"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := New(connectors.SourceConfig{Name: "jira-main", Kind: "jira", URL: tc.url, Auth: tc.auth,
				Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(tc.settings)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestVerbatimText(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	seed(h, 0)
	nasty := []string{
		"Ünïcödé 日本語 🚀 «guillemets» \u202e",
		`He said "ship it" \ then left`,
		"line one\nline two\r\n\ttabbed",
		"'; DROP TABLE work_items; -- <script>&amp;</script>",
		`{"pmohub": "not a real key"}`,
	}
	var keys []string
	for _, s := range nasty {
		keys = append(keys, h.fake.CreateIssue("ALPHA", jirafake.Issue{Summary: s, Description: s, Labels: []string{s}}).Key)
	}
	h.mustSync(false)
	for i, k := range keys {
		is := h.fake.Issue(k)
		p := h.store.payload(StreamIssues, fmt.Sprint(is.ID))
		f := p["fields"].(map[string]any)
		if f["summary"] != nasty[i] {
			t.Errorf("summary %q, want %q", f["summary"], nasty[i])
		}
		if f["labels"].([]any)[0] != nasty[i] {
			t.Errorf("label %q, want %q", f["labels"], nasty[i])
		}
		text := f["description"].(map[string]any)["content"].([]any)[0].(map[string]any)["content"].([]any)[0].(map[string]any)["text"]
		if text != nasty[i] {
			t.Errorf("description %q, want %q", text, nasty[i])
		}
	}
}

func TestRetryWait(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	h := http.Header{}
	if d := retryWait(h, now, 0, time.Minute, 0); d != 500*time.Millisecond {
		t.Errorf("no headers: %v", d)
	}
	if d := retryWait(h, now, 20, time.Minute, 0.9); d != time.Minute {
		t.Errorf("capped backoff: %v", d)
	}
	h.Set("X-RateLimit-Reset", now.Add(12*time.Second).Format(time.RFC3339))
	if d := retryWait(h, now, 0, time.Minute, 0); d != 12*time.Second {
		t.Errorf("reset header: %v", d)
	}
	h.Set("Retry-After", "3")
	if d := retryWait(h, now, 0, time.Minute, 0); d != 3*time.Second {
		t.Errorf("Retry-After wins: %v", d)
	}
	h.Set("Retry-After", now.Add(20*time.Second).Format(http.TimeFormat))
	if d := retryWait(h, now, 0, time.Minute, 0); d != 20*time.Second {
		t.Errorf("Retry-After date: %v", d)
	}
	h.Set("Retry-After", "99999")
	h.Del("X-RateLimit-Reset")
	if d := retryWait(h, now, 0, time.Minute, 0); d != 500*time.Millisecond {
		t.Errorf("absurd Retry-After falls back to backoff: %v", d)
	}
}
