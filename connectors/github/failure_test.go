package github

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

func TestDeletionsAndTransfers(t *testing.T) {
	w := newWorld(t)
	w.fake.AddRepo("acme/legacy", false) // not configured
	h := newHarness(t, w.fake, "repos: [acme/web, acme/api]\ndeletion_sweep: 1h\n")
	h.mustSync(false)

	w.fake.DeleteIssue("acme/web", w.bug.Number)
	moved := w.fake.TransferIssue("acme/web", w.feature.Number, "acme/api")
	away := w.fake.TransferIssue("acme/web", w.notPlanned.Number, "acme/legacy")
	w.fake.DeleteMilestone("acme/web", w.milestone.Number)

	// Within the sweep interval only the listings run: the transfer into a configured
	// repository shows there; the milestone list shows the deletion.
	h.now = h.now.Add(10 * time.Minute)
	h.mustSync(false)
	if e := h.envelope(idOf(w.feature)); e.Repository != "acme/api" || e.Derived.Key != "acme/api#"+itoa(int64(moved.Number)) {
		t.Errorf("transferred issue: repository %s key %s", e.Repository, e.Derived.Key)
	}
	if _, ok := h.store.get(StreamMilestones, milestoneID(w.milestone.ID)); ok {
		t.Error("deleted milestone still stored")
	}
	if _, ok := h.store.get(StreamItems, idOf(w.bug)); !ok {
		t.Error("deletion found before the sweep was due")
	}

	// Once the sweep is due, the deleted issue (410) leaves, and the issue transferred to a
	// repository that is not configured follows its redirect.
	h.now = h.now.Add(2 * time.Hour)
	w.fake.ResetLog()
	h.mustSync(false)
	if _, ok := h.store.get(StreamItems, idOf(w.bug)); ok {
		t.Error("deleted issue still stored after the sweep")
	}
	if w.fake.CountStatus(http.StatusGone) != 1 || w.fake.CountStatus(http.StatusMovedPermanently) != 1 {
		t.Errorf("sweep asked: 410s %d, 301s %d", w.fake.CountStatus(http.StatusGone), w.fake.CountStatus(http.StatusMovedPermanently))
	}
	e := h.envelope(idOf(w.notPlanned))
	if e.Repository != "acme/legacy" || e.Derived.Key != "acme/legacy#"+itoa(int64(away.Number)) {
		t.Errorf("issue moved out of the configured repos: %s %s", e.Repository, e.Derived.Key)
	}
	// The tombstone outranks what was stored.
	var tomb *connectors.Record
	for i := range h.store.emitted {
		if r := h.store.emitted[i]; r.Deleted && r.NativeID == idOf(w.bug) {
			tomb = &h.store.emitted[i]
		}
	}
	if tomb == nil || tomb.Payload != nil || tomb.Version == 0 {
		t.Fatalf("tombstone = %+v", tomb)
	}
}

func TestRateLimits(t *testing.T) {
	for _, c := range []struct {
		name    string
		mode    githubfake.ThrottleMode
		minWait time.Duration
	}{
		{"secondary 429 retry-after", githubfake.Secondary429, 5 * time.Second},
		{"secondary 403 retry-after", githubfake.Secondary403, 5 * time.Second},
		{"secondary documentation_url only", githubfake.SecondaryNoHeader, time.Second},
		{"primary 403 remaining 0", githubfake.Primary403, 100 * time.Second},
		{"primary 429 remaining 0", githubfake.Primary429, 100 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.fake.RetryAfter, w.fake.Reset = 5, 120
			h := newHarness(t, w.fake, "repos: [acme/web]\n")
			w.fake.Throttle(2, c.mode)
			h.mustSync(false)
			if got := h.stats.Throttled.Load(); got != 2 {
				t.Errorf("throttled = %d, want 2", got)
			}
			if len(h.waits) != 2 || h.waits[0] < c.minWait {
				t.Errorf("waits = %v, want 2 waits of at least %v", h.waits, c.minWait)
			}
			if len(h.waits) == 2 && c.mode <= githubfake.SecondaryNoHeader && h.waits[1] <= h.waits[0] {
				t.Errorf("secondary waits did not back off: %v", h.waits)
			}
			if h.store.count(StreamItems) != 6 {
				t.Errorf("items = %d after throttling, want 6", h.store.count(StreamItems))
			}
		})
	}
}

func TestLongOutageFailsInsteadOfHanging(t *testing.T) {
	w := newWorld(t)
	w.fake.RetryAfter = 30
	h := newHarness(t, w.fake, "repos: [acme/web]\nmax_wait: 2m\n")
	w.fake.Throttle(1000, githubfake.Secondary429)
	err := h.conn.Sync(t.Context(), connectors.SyncRequest{Stream: StreamRepositories, Env: h.env()}, h.store.emit(StreamRepositories))
	var se *connectors.SourceError
	if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests || se.Source != "gh" || !strings.Contains(se.Endpoint, "/repos/acme/web") {
		t.Fatalf("err = %v", err)
	}
	var total time.Duration
	for _, d := range h.waits {
		total += d
	}
	if total > 2*time.Minute {
		t.Errorf("waited %v past max_wait", total)
	}
}

func TestEnterpriseWithoutRateHeaders(t *testing.T) {
	w := newWorld(t)
	w.fake.Enterprise = true
	h := newHarness(t, w.fake, "repos: [acme/web]\n")
	h.mustSync(false)
	if h.store.count(StreamItems) != 6 {
		t.Errorf("items = %d", h.store.count(StreamItems))
	}
	for _, r := range w.fake.Requests() {
		if !strings.HasPrefix(r.Path, "/api/v3/") {
			t.Errorf("request outside /api/v3/: %s", r.Path)
		}
	}
	// A plain 403 without rate-limit headers is final: no waiting.
	h.conn.src.Auth = connectors.Auth{"token": "wrong-token-value"}
	h.waits = nil
	if err := h.sync(false); err == nil || len(h.waits) != 0 {
		t.Errorf("err %v, waits %v", err, h.waits)
	}
}

func TestBadInput(t *testing.T) {
	check := func(t *testing.T, err error, status int, endpoint, text string) {
		t.Helper()
		var se *connectors.SourceError
		if !errors.As(err, &se) {
			t.Fatalf("err = %v, want a SourceError", err)
		}
		if se.Source != "gh" || se.Status != status || !strings.Contains(se.Endpoint, endpoint) || !strings.Contains(err.Error(), text) {
			t.Errorf("err = %q (status %d, endpoint %q), want status %d, endpoint %q, text %q", err, se.Status, se.Endpoint, status, endpoint, text)
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("secret in error: %v", err)
		}
	}
	t.Run("revoked token", func(t *testing.T) {
		w := newWorld(t)
		h := newHarness(t, w.fake, "repos: [acme/web]\n")
		w.fake.Token = "another"
		check(t, h.sync(false), 401, "GET /repos/acme/web", "Bad credentials")
	})
	t.Run("missing and private repositories do not block the others", func(t *testing.T) {
		w := newWorld(t)
		w.fake.AddRepo("acme/secret", true)
		h := newHarness(t, w.fake, "repos: [acme/web, acme/nope, acme/secret]\n")
		err := h.conn.Sync(t.Context(), connectors.SyncRequest{Stream: StreamItems, Env: h.env()}, h.store.emit(StreamItems))
		check(t, err, 404, "/repos/acme/nope/", "repository acme/nope")
		if !strings.Contains(err.Error(), "acme/secret") || !strings.Contains(err.Error(), "private to this token") {
			t.Errorf("err = %v", err)
		}
		if h.store.count(StreamItems) != 6 {
			t.Errorf("acme/web items = %d, want 6", h.store.count(StreamItems))
		}
	})
	t.Run("html instead of json", func(t *testing.T) {
		w := newWorld(t)
		h := newHarness(t, w.fake, "repos: [acme/web]\n")
		w.fake.Break = "html"
		check(t, h.sync(false), 200, "GET /repos/acme/web", "text/html instead of JSON")
	})
	t.Run("truncated body", func(t *testing.T) {
		w := newWorld(t)
		h := newHarness(t, w.fake, "repos: [acme/web]\n")
		w.fake.Break = "truncated"
		check(t, h.sync(false), 200, "GET /repos/acme/web", "not valid JSON")
	})
	t.Run("enterprise root url", func(t *testing.T) {
		w := newWorld(t)
		w.fake.Enterprise = true
		src := connectors.SourceConfig{Name: "gh", URL: strings.TrimSuffix(w.fake.URL(), "api/v3/"), Auth: connectors.Auth{"token": testToken},
			Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte("repos: [acme/web]\n")}}
		c, err := New(src)
		if err != nil {
			t.Fatal(err)
		}
		h := &harness{t: t, fake: w.fake, conn: c, store: newStore()}
		err = c.Sync(t.Context(), connectors.SyncRequest{Stream: StreamRepositories, Env: h.env()}, h.store.emit(StreamRepositories))
		check(t, err, 404, "GET /repos/acme/web", "/api/v3/")
	})
	t.Run("config", func(t *testing.T) {
		for _, text := range []string{"repos: [acme]\n", "", "repos: [a/b]\nunknown: 1\n", "repos: [a/b]\njira_key_pattern: '('\n",
			"repos: [a/b]\nprojects: [{number: 7}]\n"} {
			_, err := New(connectors.SourceConfig{Name: "gh", Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(text)}})
			if err == nil || !strings.Contains(err.Error(), "gh") {
				t.Errorf("%q: err = %v", text, err)
			}
		}
	})
}

func TestTokenStaysOnTheAPIHost(t *testing.T) {
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":1,"full_name":"acme/web","updated_at":"2025-01-01T00:00:00Z"}`))
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer api.Close()
	c, err := New(connectors.SourceConfig{Name: "gh", URL: api.URL + "/", Auth: connectors.Auth{"token": testToken},
		Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte("repos: [acme/web]\n")}})
	if err != nil {
		t.Fatal(err)
	}
	st := newStore()
	if err := c.Sync(t.Context(), connectors.SyncRequest{Stream: StreamRepositories, Env: &connectors.Env{}}, st.emit(StreamRepositories)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "Bearer "+testToken || got[1] != "" {
		t.Errorf("Authorization seen = %q, want the token on the API host only", got)
	}
}
