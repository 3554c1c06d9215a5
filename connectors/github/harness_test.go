package github

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

const testToken = "ghp_s3cr3tT0kenValue"

// memStore stands in for the warehouse: emitted pages are "committed" into maps, and the
// connector reads them back through StoredReader.
type memStore struct {
	mu      sync.Mutex
	recs    map[string]map[string]connectors.StoredRecord
	cursors map[string]json.RawMessage
	pages   int
	emitted []connectors.Record
}

func newStore() *memStore {
	return &memStore{recs: map[string]map[string]connectors.StoredRecord{}, cursors: map[string]json.RawMessage{}}
}

func (s *memStore) NativeIDs(_ context.Context, stream string) (map[string]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]uint64{}
	for id, r := range s.recs[stream] {
		out[id] = r.Version
	}
	return out, nil
}

func (s *memStore) Records(_ context.Context, stream string, ids []string, fn func(connectors.StoredRecord) error) error {
	s.mu.Lock()
	var list []connectors.StoredRecord
	for id, r := range s.recs[stream] {
		if ids == nil || slices.Contains(ids, id) {
			list = append(list, r)
		}
	}
	s.mu.Unlock()
	for _, r := range list {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (s *memStore) emit(stream string) connectors.Emit {
	return func(_ context.Context, p connectors.Page) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.pages++
		for _, r := range p.Records {
			if r.Stream != stream {
				return &testErr{"record of stream " + r.Stream + " emitted in " + stream}
			}
			s.emitted = append(s.emitted, r)
			m := s.recs[r.Stream]
			if m == nil {
				m = map[string]connectors.StoredRecord{}
				s.recs[r.Stream] = m
			}
			old, had := m[r.NativeID]
			if had && old.Version > r.Version {
				continue // late re-read of older data
			}
			if r.Deleted {
				delete(m, r.NativeID)
				continue
			}
			m[r.NativeID] = connectors.StoredRecord{NativeID: r.NativeID, Version: r.Version, Payload: r.Payload}
		}
		if p.Cursor != nil {
			s.cursors[stream] = p.Cursor
		}
		return nil
	}
}

type testErr struct{ s string }

func (e *testErr) Error() string { return e.s }

func (s *memStore) get(stream, id string) (connectors.StoredRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[stream][id]
	return r, ok
}

func (s *memStore) count(stream string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs[stream])
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
			Cursor: h.store.cursors[s.Name], Full: full, Env: env}, h.store.emit(s.Name))
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
