package github

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

func fuzzConnector(t testing.TB) *Connector {
	c, err := New(connectors.SourceConfig{Name: "gh", URL: "https://api.github.com/",
		Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte("repos: [acme/web]\n")}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzNextLink: Link headers come from the server; the next URL must be one of its parts.
func FuzzNextLink(f *testing.F) {
	f.Add(`<https://api.github.com/repositories/1000/issues?per_page=3&page=2>; rel="next", <https://api.github.com/repositories/1000/issues?per_page=3&page=5>; rel="last"`)
	f.Add(`<a>; rel="prev", <b>; rel="next"`)
	f.Add(`;;,<>; rel="next",`)
	f.Fuzz(func(t *testing.T, h string) {
		n := nextLink(h)
		if n != "" && !strings.Contains(h, n) {
			t.Fatalf("next %q not in %q", n, h)
		}
	})
}

// FuzzJiraKeys: every key found is in the text and matches the pattern on its own.
func FuzzJiraKeys(f *testing.F) {
	c := fuzzConnector(f)
	f.Add("ALPHA-12: login", "feature/ALPHA-13-x", "Closes ALPHA-14, see alpha-1 and X-1 and ÄB-2")
	f.Add("", "", "AB-1AB-2 (CD-3)")
	f.Fuzz(func(t *testing.T, title, branch, body string) {
		for _, m := range c.findJiraKeys([2]string{"title", title}, [2]string{"branch", branch}, [2]string{"body", body}) {
			if !strings.Contains(title+"\n"+branch+"\n"+body, m.Key) || m.Ref != "jira-key:"+m.Key || len(m.In) == 0 {
				t.Fatalf("bad mention %+v", m)
			}
		}
	})
}

// FuzzItemsPage: a list answer of the issues endpoint becomes records whose issue part is
// the element exactly as received; anything else is an error, never a panic.
func FuzzItemsPage(f *testing.F) {
	c := fuzzConnector(f)
	f.Add([]byte(`[{"id":1,"number":2,"state":"open","title":"x","updated_at":"2025-01-01T00:00:00Z","labels":[{"name":"bug 🐛"}],"assignees":[{"login":"a"}]}]`))
	f.Add([]byte(`[{"id":3,"number":4,"state":"closed","state_reason":"not_planned","pull_request":{},"body":"ALPHA-1 <b>"}]`))
	f.Add([]byte(`{"message":"Not Found"}`))
	f.Add([]byte(`[{"id":"x"}]`))
	r := &run{c: c, now: time.Now}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := decodeList(&page{Body: body, Status: 200}, "GET /repos/acme/web/issues", "gh")
		if err != nil {
			return
		}
		for _, it := range items {
			var is ghIssue
			if decodeItem(it, &is) != nil {
				continue
			}
			rec := r.issueRecord("acme/web", it, &is, nil, 0)
			var e envelope
			if err := json.Unmarshal(rec.Payload, &e); err != nil {
				t.Fatalf("envelope is not JSON: %v", err)
			}
			if !bytes.Equal(e.Issue, it) {
				t.Fatalf("issue part changed:\n%s\n%s", e.Issue, it)
			}
		}
	})
}

// FuzzFieldText: Projects (v2) field values of any shape render without panicking.
func FuzzFieldText(f *testing.F) {
	f.Add([]byte(`{"id":"1","name":{"raw":"In Progress","html":"In Progress"}}`))
	f.Add([]byte(`{"title":{"raw":"Iteration 2"},"start_date":"2025-01-06"}`))
	f.Add([]byte(`3.5`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, v []byte) {
		_ = fieldText(v)
	})
}

// FuzzRateDecision: rate-limit headers of any value give a bounded wait or none.
func FuzzRateDecision(f *testing.F) {
	f.Add(429, "5", "", "")
	f.Add(403, "", "0", "1735689600")
	f.Add(403, "Wed, 21 Oct 2015 07:28:00 GMT", "", "")
	f.Add(503, "-1", "x", "99999999999999999999")
	now := time.Unix(1735689000, 0)
	tr := &rateTransport{now: func() time.Time { return now }, maxWait: time.Hour, secondaryBase: time.Second, maxAttempts: 6}
	f.Fuzz(func(t *testing.T, status int, retryAfter, remaining, reset string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("X-Ratelimit-Remaining", remaining)
		h.Set("X-Ratelimit-Reset", reset)
		resp := &http.Response{StatusCode: status, Header: h, Body: http.NoBody}
		for attempt := 1; attempt <= 6; attempt++ {
			d := tr.decide(resp, attempt)
			if d.wait < 0 {
				t.Fatalf("negative wait %v", d.wait)
			}
		}
	})
}

func FuzzClosingRefs(f *testing.F) {
	f.Add("Closes #12, fixes acme/web#13 and resolves https://github.com/acme/web/issues/14")
	f.Add("closes: #0 fixes #99999999999999999999 Closes other/repo#3")
	f.Fuzz(func(t *testing.T, body string) {
		seen := map[int]bool{}
		for _, n := range closingRefs("acme/web", body) {
			if n <= 0 || seen[n] {
				t.Fatalf("closingRefs(%q) gave %d twice or non-positive", body, n)
			}
			seen[n] = true
		}
	})
}
