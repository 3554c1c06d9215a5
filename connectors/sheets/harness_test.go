package sheets

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
)

// memStore is the warehouse stand-in: the raw layer as a map, written by commit.
type memStore struct {
	mu      sync.Mutex
	rows    map[string]connectors.StoredRecord // live rows by native id
	cursor  json.RawMessage
	pages   int
	written int
	deleted int
}

func newMemStore() *memStore { return &memStore{rows: map[string]connectors.StoredRecord{}} }

func (m *memStore) NativeIDs(ctx context.Context, stream string) (map[string]uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]uint64{}
	for id, r := range m.rows {
		out[id] = r.Version
	}
	return out, nil
}

func (m *memStore) Records(ctx context.Context, stream string, ids []string, fn func(connectors.StoredRecord) error) error {
	m.mu.Lock()
	var recs []connectors.StoredRecord
	if ids == nil {
		for _, r := range m.rows {
			recs = append(recs, r)
		}
	} else {
		for _, id := range ids {
			if r, ok := m.rows[id]; ok {
				recs = append(recs, r)
			}
		}
	}
	m.mu.Unlock()
	for _, r := range recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// commit is the Emit: it applies a page as the engine would (newer versions win,
// tombstones remove) and saves the cursor after the page.
func (m *memStore) commit(ctx context.Context, p connectors.Page) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pages++
	for _, r := range p.Records {
		if r.Stream != StreamRows {
			return &json.UnsupportedValueError{Str: "stream " + r.Stream}
		}
		old, had := m.rows[r.NativeID]
		if had && old.Version > r.Version {
			continue
		}
		if r.Deleted {
			delete(m.rows, r.NativeID)
			m.deleted++
			continue
		}
		m.rows[r.NativeID] = connectors.StoredRecord{NativeID: r.NativeID, Version: r.Version, Payload: r.Payload}
		m.written++
	}
	if p.Cursor != nil {
		m.cursor = p.Cursor
	}
	return nil
}

func (m *memStore) payload(t *testing.T, id string) map[string]any {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[id]
	if !ok {
		var ids []string
		for k := range m.rows {
			ids = append(ids, k)
		}
		sort.Strings(ids)
		t.Fatalf("no stored row %q; have %v", id, ids)
	}
	var p map[string]any
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rows)
}

// env is one test world: a fake Google, a source config, a store and a log.
type env struct {
	t     testing.TB
	fake  *sheetsfake.Fake
	srv   *httptest.Server
	store *memStore
	stats *connectors.Stats
	logs  *bytes.Buffer
	conn  *Connector
	clock time.Time
	// mapping is the mapping the engine would lend the connector (nil: none).
	mapping connectors.MappingChecker
}

const demoID = "1PMOportfolioDEMO"

func hdr(titles ...string) []sheetsfake.Cell {
	out := make([]sheetsfake.Cell, len(titles))
	for i, t := range titles {
		out[i] = sheetsfake.T(t)
	}
	return out
}

// newEnv starts a fake with a portfolio spreadsheet and builds a connector for settings
// (YAML of the kind-specific keys) authenticated with an API key.
func newEnv(t testing.TB, settings string) *env {
	t.Helper()
	e := &env{t: t, store: newMemStore(), stats: &connectors.Stats{}, logs: &bytes.Buffer{}, clock: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)}
	e.fake = sheetsfake.New(func() time.Time { return e.clock })
	e.fake.AddAPIKey("test-key-123456")
	e.srv = e.fake.Start()
	t.Cleanup(e.srv.Close)
	e.fake.AddSpreadsheet(demoID, "PMO Portfolio")
	e.conn = e.connector(connectors.Auth{"api_key": "test-key-123456"}, settings)
	return e
}

func (e *env) connector(auth connectors.Auth, settings string) *Connector {
	e.t.Helper()
	c, err := New(connectors.SourceConfig{
		Name: "portfolio", Kind: "sheets", URL: e.srv.URL, Auth: auth,
		Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(settings)},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	conn := c.(*Connector)
	conn.Retry = fastRetry()
	return conn
}

// fastRetry keeps the policy's shape but never sleeps for real.
func fastRetry() Retry {
	r := DefaultRetry()
	r.RequestsPerMinute = 0
	r.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return r
}

func (e *env) sync(full bool) error {
	e.t.Helper()
	e.fake.ResetLog()
	cur := e.store.cursor
	if full {
		cur = nil
	}
	req := connectors.SyncRequest{Stream: StreamRows, Cursor: cur, Full: full, Env: &connectors.Env{
		HTTP:   &http.Client{Transport: &connectors.Transport{Stats: e.stats}},
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Stats:  e.stats, Stored: e.store, Now: func() time.Time { return e.clock }, Mapping: e.mapping,
	}}
	return e.conn.Sync(context.Background(), req, e.store.commit)
}

func (e *env) mustSync() {
	e.t.Helper()
	if err := e.sync(false); err != nil {
		e.t.Fatalf("sync: %v\nlog:\n%s", err, e.logs)
	}
}

// apiRequests counts the requests the fake saw in the last sync.
func (e *env) apiRequests() []string {
	var out []string
	for _, r := range e.fake.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func (e *env) tick(d time.Duration) { e.clock = e.clock.Add(d) }

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// rowID is the native id of a row of the demo spreadsheet.
func (e *env) rowID(tab, key string) string {
	return demoID + "/" + strconv.FormatInt(e.fake.TabID(demoID, tab), 10) + "/" + key
}
