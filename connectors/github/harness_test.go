package github

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/conntest"
	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

const testToken = "ghp_s3cr3tT0kenValue"

// memStore is the shared in-test raw layer, plus what was emitted.
type memStore struct {
	*conntest.Store
	pages   int
	emitted []connectors.Record
}

func newStore() *memStore { return &memStore{Store: conntest.New()} }

func (s *memStore) emit(stream string) connectors.Emit {
	return func(_ context.Context, p connectors.Page) error {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		s.pages++
		s.emitted = append(s.emitted, p.Records...)
		return s.CommitLocked(stream, p)
	}
}

func (s *memStore) get(stream, id string) (connectors.StoredRecord, bool) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	r, ok := s.Recs[stream][id]
	return r, ok
}

func (s *memStore) count(stream string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return len(s.Recs[stream])
}

// harness ties a fake, a connector and a store together.
type harness struct {
	t     *testing.T
	fake  *githubfake.Server
	conn  *Connector
	store *memStore
	stats *connectors.Stats
	waits []time.Duration
	now   time.Time
}

func newHarness(t *testing.T, fake *githubfake.Server, settings string) *harness {
	t.Helper()
	src := connectors.SourceConfig{Name: "gh", Kind: "github", URL: fake.URL(),
		Auth:     connectors.Auth{"token": testToken},
		Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(settings)}}
	c, err := New(src)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: fake, conn: c, store: newStore(), now: time.Now().UTC()}
	var mu sync.Mutex
	c.Sleep = func(_ <-chan struct{}, d time.Duration) bool {
		mu.Lock()
		h.waits = append(h.waits, d)
		mu.Unlock()
		return true
	}
	c.SecondaryBase = time.Second
	return h
}

func (h *harness) env() *connectors.Env {
	h.stats = &connectors.Stats{}
	return &connectors.Env{
		HTTP:   &http.Client{Transport: &connectors.Transport{Stats: h.stats}, Timeout: 30 * time.Second},
		Logger: slog.New(slog.DiscardHandler), Stats: h.stats, Stored: h.store,
		Now: func() time.Time { return h.now },
	}
}

// sync runs every stream once, in order, like the engine; it returns the first error.
func (h *harness) sync(full bool) error {
	h.t.Helper()
	env := h.env()
	var errs []error
	for _, s := range h.conn.Streams() {
		err := h.conn.Sync(context.Background(), connectors.SyncRequest{Stream: s.Name,
			Cursor: h.store.Cursors[s.Name], Full: full, Env: env}, h.store.emit(s.Name))
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func (h *harness) mustSync(full bool) {
	h.t.Helper()
	if err := h.sync(full); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) envelope(id string) envelope {
	h.t.Helper()
	r, ok := h.store.get(StreamItems, id)
	if !ok {
		h.t.Fatalf("item %s not stored", id)
	}
	var e envelope
	if err := json.Unmarshal(r.Payload, &e); err != nil {
		h.t.Fatal(err)
	}
	return e
}

func field(t *testing.T, raw json.RawMessage, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func idOf(is *githubfake.Issue) string { return itoa(is.ID) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
