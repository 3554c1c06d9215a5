package smartsheet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/conntest"
	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

const testToken = "tok-SECRET-1234567890"

// store is the shared in-test raw layer, counting the pages emitted.
type store struct {
	*conntest.Store
	pages int
}

func newStore() *store { return &store{Store: conntest.New()} }

func (s *store) emit(stream string) connectors.Emit {
	return func(_ context.Context, p connectors.Page) error {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		if err := s.CommitLocked(stream, p); err != nil {
			return err
		}
		s.pages++
		return nil
	}
}

func (s *store) row(t *testing.T, id string) *RowPayload {
	t.Helper()
	s.Mu.Lock()
	defer s.Mu.Unlock()
	r, ok := s.Recs[StreamRows][id]
	if !ok {
		t.Fatalf("row %s not stored; have %v", id, keys(s.Recs[StreamRows]))
	}
	var p RowPayload
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func (s *store) sheet(t *testing.T, id int64) *SheetPayload {
	t.Helper()
	s.Mu.Lock()
	defer s.Mu.Unlock()
	r, ok := s.Recs[StreamSheets][fmt.Sprint(id)]
	if !ok {
		t.Fatalf("sheet %d not stored", id)
	}
	var p SheetPayload
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func (s *store) count(stream string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return len(s.Recs[stream])
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// harness runs the connector against the fake with the in-memory store.
type harness struct {
	t     testing.TB
	fake  *ss.Server
	srv   *httptest.Server
	conn  *Connector
	store *store
	stats *connectors.Stats
	logs  *bytes.Buffer
	logMu sync.Mutex
	// mapping is the mapping the engine would lend the connector (nil: none).
	mapping connectors.MappingChecker
}

// fastRetry keeps tests from sleeping: millisecond backoffs, a short budget.
var fastRetry = Retry{Max: 4, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond, GiveUpAfter: 2 * time.Second}

func newFake() *ss.Server {
	f := ss.New()
	f.AddToken(testToken, ss.Contact{Email: "pmo@example.com", Name: "PMO Lead"})
	return f
}

// newHarness configures a source whose settings are the YAML text given.
func newHarness(t testing.TB, f *ss.Server, settings string) *harness {
	t.Helper()
	h := &harness{t: t, fake: f, store: newStore(), stats: &connectors.Stats{}, logs: &bytes.Buffer{}}
	h.srv = f.Start()
	t.Cleanup(h.srv.Close)
	src := connectors.SourceConfig{
		Name: "plans", Kind: "smartsheet", URL: h.srv.URL + "/2.0",
		Auth:     connectors.Auth{"token": testToken},
		Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(settings)},
	}
	conn, err := New(src)
	if err != nil {
		t.Fatal(err)
	}
	conn.Retry = fastRetry
	conn.Limiter = NewLimiter(1_000_000)
	h.conn = conn
	return h
}

func (h *harness) Write(p []byte) (int, error) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.logs.Write(p)
}

func (h *harness) logText() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.logs.String()
}

func (h *harness) env() *connectors.Env {
	return &connectors.Env{
		HTTP:   &http.Client{Transport: &connectors.Transport{Base: http.DefaultTransport, Stats: h.stats}},
		Logger: slog.New(slog.NewTextHandler(h, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Stats:  h.stats, Stored: h.store, Now: time.Now, Mapping: h.mapping,
	}
}

// sync runs one stream from its saved cursor.
func (h *harness) sync(stream string, full bool) error {
	h.store.Mu.Lock()
	cur := h.store.Cursors[stream]
	h.store.Mu.Unlock()
	req := connectors.SyncRequest{Stream: stream, Cursor: cur, Full: full, Env: h.env()}
	return h.conn.Sync(context.Background(), req, h.store.emit(stream))
}

// syncAll runs every stream in order and returns the requests it cost.
func (h *harness) syncAll() (int, error) {
	h.t.Helper()
	before := h.stats.Requests.Load()
	for _, s := range h.conn.Streams() {
		if err := h.sync(s.Name, false); err != nil {
			return int(h.stats.Requests.Load() - before), err
		}
	}
	return int(h.stats.Requests.Load() - before), nil
}

func (h *harness) mustSync() int {
	h.t.Helper()
	n, err := h.syncAll()
	if err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	return n
}

// planColumns is a project plan with every column type.
func planColumns() []ss.Column {
	return []ss.Column{
		{Title: "Task Name", Type: ss.TextNumber, Primary: true},
		{Title: "Status", Type: ss.Picklist, Options: []string{"Not Started", "In Progress", "Blocked", "Complete"}},
		{Title: "Assigned To", Type: ss.ContactList},
		{Title: "Team", Type: ss.MultiContactList},
		{Title: "Tags", Type: ss.MultiPicklist, Options: []string{"backend", "ux", "ops"}},
		{Title: "Start", Type: ss.AbstractDateTime},
		{Title: "Finish", Type: ss.Date},
		{Title: "Reviewed", Type: ss.DateTime},
		{Title: "% Complete", Type: ss.TextNumber, Percent: true},
		{Title: "At Risk", Type: ss.Checkbox},
		{Title: "Duration", Type: ss.Duration},
		{Title: "Predecessors", Type: ss.Predecessor},
		{Title: "Notes", Type: ss.TextNumber},
		{Title: "Created", Type: ss.DateTime, SystemColumnType: ss.CreatedDate},
		{Title: "Modified By", Type: ss.ContactList, SystemColumnType: ss.ModifiedBy},
		{Title: "Row ID", Type: ss.TextNumber, SystemColumnType: ss.AutoNumber, Prefix: "T-"},
	}
}

var (
	alice = ss.Contact{Email: "alice@example.com", Name: "Alice Ng"}
	bob   = ss.Contact{Email: "bob@example.com", Name: "Bob Okafor"}
)

// plan is a small plan: a phase with two tasks (one depending on the other) and a milestone.
type plan struct {
	sheet, phase, design, build, launch int64
}

func addPlan(t testing.TB, f *ss.Server, name string) plan {
	t.Helper()
	p := plan{sheet: f.AddSheet(name, planColumns())}
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	p.phase = must(f.AddRow(p.sheet, 0, ss.Cells{"Task Name": "Phase 1: Discovery", "Status": "In Progress"}))
	p.design = must(f.AddRow(p.sheet, p.phase, ss.Cells{
		"Task Name": "Design", "Status": "Not Started", "Assigned To": alice, "Team": []ss.Contact{alice, bob},
		"Tags": []string{"ux", "backend"}, "Start": "2026-02-02T00:00:00", "Finish": "2026-02-06",
		"Reviewed": time.Date(2026, 1, 30, 14, 30, 0, 0, time.UTC), "% Complete": 0.5, "At Risk": true,
		"Duration": ss.Days(5), "Notes": 42,
	}))
	p.build = must(f.AddRow(p.sheet, p.phase, ss.Cells{"Task Name": "Build", "Status": "Not Started", "Assigned To": bob, "Duration": ss.Days(10)}))
	if err := f.UpdateRow(p.sheet, p.build, ss.Cells{"Predecessors": []ss.Dependency{{RowID: p.design, Type: "FS", LagDays: 2}}}); err != nil {
		t.Fatal(err)
	}
	p.launch = must(f.AddRow(p.sheet, 0, ss.Cells{"Task Name": "Launch", "Status": "Not Started", "Duration": ss.Days(0)}))
	return p
}

func rid(sheet, row int64) string { return fmt.Sprintf("%d/%d", sheet, row) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
