package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/conntest"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

// store is the shared in-test raw layer, plus the pages emitted and a simulated crash.
type store struct {
	*conntest.Store
	pages []connectors.Page
	// failAfter makes the emit fail after so many pages (0: never), like a crash.
	failAfter int
}

func newStore() *store { return &store{Store: conntest.New()} }

func (s *store) emit(stream string) connectors.Emit {
	return func(_ context.Context, p connectors.Page) error {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		if s.failAfter > 0 && len(s.pages) >= s.failAfter {
			return fmt.Errorf("warehouse down")
		}
		s.pages = append(s.pages, p)
		return s.CommitLocked(stream, p)
	}
}

func (s *store) payload(stream, id string) map[string]any {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	r, ok := s.Recs[stream][id]
	if !ok {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(r.Payload, &m); err != nil {
		panic(err)
	}
	return m
}

func (s *store) count(stream string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return len(s.Recs[stream])
}

// clock is a settable test clock shared by the fake and the connector.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t      testing.TB
	fake   *jirafake.Server
	conn   *Connector
	store  *store
	stats  *connectors.Stats
	clock  *clock
	sleeps []time.Duration
	mu     sync.Mutex
}

const cloudAuth = "cloud"

// newHarness starts a fake of deployment d and a connector configured with settings.
func newHarness(t testing.TB, d jirafake.Deployment, settings string) *harness {
	t.Helper()
	clk := &clock{t: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}
	fake := jirafake.New(d)
	fake.Now = clk.Now
	fake.Start()
	t.Cleanup(fake.Close)
	h := &harness{t: t, fake: fake, store: newStore(), stats: &connectors.Stats{}, clock: clk}
	h.conn = h.connector(settings, fake.Email, fake.Token)
	return h
}

func (h *harness) connector(settings, email, token string) *Connector {
	h.t.Helper()
	auth := connectors.Auth{"token": connectors.Secret(token)}
	if h.fake.Deployment == jirafake.Cloud {
		auth["email"] = connectors.Secret(email)
	}
	c, err := New(connectors.SourceConfig{Name: "jira-main", Kind: "jira", URL: h.fake.URL(), Auth: auth,
		Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(settings)}})
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	conn := c.(*Connector)
	conn.Sleep = func(ctx context.Context, d time.Duration) error {
		h.mu.Lock()
		h.sleeps = append(h.sleeps, d)
		h.mu.Unlock()
		h.clock.Advance(d)
		return ctx.Err()
	}
	conn.Jitter = func() float64 { return 0.5 }
	return conn
}

func (h *harness) env() *connectors.Env {
	return &connectors.Env{
		HTTP:   &http.Client{Transport: &connectors.Transport{Stats: h.stats}, Timeout: 30 * time.Second},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Stats:  h.stats,
		Stored: h.store,
		Now:    h.clock.Now,
	}
}

// syncStream runs one stream from its saved cursor.
func (h *harness) syncStream(stream string, full bool) error {
	env := h.env()
	return h.conn.Sync(context.Background(), connectors.SyncRequest{Stream: stream, Cursor: h.cursor(stream, full), Full: full, Env: env}, h.store.emit(stream))
}

func (h *harness) cursor(stream string, full bool) json.RawMessage {
	if full {
		return nil
	}
	h.store.Mu.Lock()
	defer h.store.Mu.Unlock()
	return h.store.Cursors[stream]
}

// sync runs every stream in order, like `pmohub sync`.
func (h *harness) sync(full bool) error {
	for _, st := range h.conn.Streams() {
		if err := h.syncStream(st.Name, full); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) mustSync(full bool) {
	h.t.Helper()
	if err := h.sync(full); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
}

var (
	ana = &jirafake.User{AccountID: "acc-ana", Name: "ana", DisplayName: "Ana Lima", Email: "ana@acme.com", TimeZone: "UTC"}
	bo  = &jirafake.User{AccountID: "acc-bo", Name: "bo", DisplayName: "Bo Chen", TimeZone: "UTC"}
)

func pts(f float64) *float64 { return &f }

// seed fills the fake with a small portfolio: an epic with stories, a sub-task, a bug
// closed as Won't Do, an issue with a long (truncated) history and n filler tasks.
func seed(h *harness, n int) {
	f := h.fake
	f.AddProject("ALPHA", "Alpha programme")
	f.AddProject("BETA", "Beta")
	f.AddProject("OTHER", "Not in scope")
	f.AddBoard("BETA", "Beta kanban", "kanban")
	sprint := f.AddSprint("ALPHA", "Sprint 7", "active")
	f.AddSprint("ALPHA", "Sprint 8", "future")
	epic := f.CreateIssue("ALPHA", jirafake.Issue{Summary: "Checkout revamp", Type: "Epic", Reporter: ana})
	f.CreateIssue("ALPHA", jirafake.Issue{Summary: "Pay with card", Type: "Story", ParentKey: epic.Key, StoryPoints: pts(5),
		SprintIDs: []int{sprint}, Assignee: bo, Reporter: ana, Labels: []string{"payments"}, Components: []string{"web"}, DueDate: "2025-04-01", Team: "Kite"})
	h.clock.Advance(time.Minute)
	f.CreateIssue("ALPHA", jirafake.Issue{Summary: "Card form", Type: "Sub-task", ParentKey: "ALPHA-2"})
	h.clock.Advance(time.Minute)
	f.CreateIssue("BETA", jirafake.Issue{Summary: "Crash on login", Type: "Bug", Assignee: ana})
	f.Transition("BETA-1", "5", ana)
	f.UpdateIssue("BETA-1", func(is *jirafake.Issue) { is.Resolution = "Won't Do" })
	long := f.CreateIssue("BETA", jirafake.Issue{Summary: "Long history", Type: "Task"})
	for i := range 60 {
		h.clock.Advance(time.Second)
		f.Transition(long.Key, []string{"3", "4"}[i%2], bo)
	}
	f.CreateIssue("OTHER", jirafake.Issue{Summary: "Out of scope"})
	for i := range n {
		h.clock.Advance(time.Second)
		f.CreateIssue("ALPHA", jirafake.Issue{Summary: fmt.Sprintf("Filler %d", i), StoryPoints: pts(float64(i % 5))})
	}
	h.clock.Advance(time.Minute)
}

// inScope lists the fake's issues in ALPHA and BETA by id.
func inScope(f *jirafake.Server) map[string]jirafake.Issue {
	out := map[string]jirafake.Issue{}
	for _, is := range f.Issues() {
		if is.ProjectKey == "ALPHA" || is.ProjectKey == "BETA" {
			out[fmt.Sprint(is.ID)] = is
		}
	}
	return out
}

// checkMirror compares the stored issues with the fake's, field by field.
func checkMirror(t *testing.T, h *harness) {
	t.Helper()
	want := inScope(h.fake)
	if got := h.store.count(StreamIssues); got != len(want) {
		t.Fatalf("stored %d issues, fake has %d in scope", got, len(want))
	}
	for id, is := range want {
		p := h.store.payload(StreamIssues, id)
		if p == nil {
			t.Fatalf("issue %s (%s) missing", id, is.Key)
		}
		fields := p["fields"].(map[string]any)
		if p["key"] != is.Key || fields["summary"] != is.Summary {
			t.Errorf("issue %s: key %v summary %q, want %s %q", id, p["key"], fields["summary"], is.Key, is.Summary)
		}
		if st := fields["status"].(map[string]any)["id"]; st != is.StatusID {
			t.Errorf("issue %s: status %v, want %s", is.Key, st, is.StatusID)
		}
		hs := p["changelog"].(map[string]any)["histories"].([]any)
		if len(hs) != len(is.Changelog) {
			t.Errorf("issue %s: %d histories, want %d", is.Key, len(hs), len(is.Changelog))
		}
	}
}
