// Package sheetsfake is an in-memory Google Sheets v4 + Drive v3 server for tests and the
// `pmohub demo` simulator. It serves the calls the sheets connector makes, shaped like the
// real APIs: ragged value ranges (trailing empty cells and rows omitted, no `values` key for
// an empty range), value and date-time render options, serial dates, a Drive `version` that
// moves on every edit, Google's error bodies, service-account and API-key auth, and 429
// throttling that can be switched on.
package sheetsfake

import (
	"fmt"
	"sync"
	"time"

	"github.com/pmohub/pmohub/connectors/tabular"
)

// Format is a cell's number format type, as Sheets reports it in effectiveFormat.
type Format string

const (
	FormatNone     Format = ""
	FormatText     Format = "TEXT"
	FormatNumber   Format = "NUMBER"
	FormatPercent  Format = "PERCENT"
	FormatCurrency Format = "CURRENCY"
	FormatDate     Format = "DATE"
	FormatDateTime Format = "DATE_TIME"
)

// Cell is one cell: its unformatted value (float64, string, bool or nil), its number format
// and, optionally, the formula that produced it.
type Cell struct {
	Value   any
	Format  Format
	Formula string
}

// T is a text cell.
func T(s string) Cell { return Cell{Value: s} }

// N is a number cell.
func N(f float64) Cell { return Cell{Value: f, Format: FormatNumber} }

// Pct is a percentage cell holding a fraction (0.25 shows as 25%).
func Pct(f float64) Cell { return Cell{Value: f, Format: FormatPercent} }

// Money is a currency cell.
func Money(f float64) Cell { return Cell{Value: f, Format: FormatCurrency} }

// B is a checkbox cell.
func B(b bool) Cell { return Cell{Value: b} }

// D is a date cell (a serial day number formatted as a date).
func D(year int, month time.Month, day int) Cell {
	return Cell{Value: tabular.TimeSerial(time.Date(year, month, day, 0, 0, 0, 0, time.UTC)), Format: FormatDate}
}

// DT is a date-time cell in the spreadsheet's time zone.
func DT(t time.Time) Cell { return Cell{Value: tabular.TimeSerial(t), Format: FormatDateTime} }

// Empty is an empty cell.
var Empty = Cell{}

// Tab is one sheet (tab) of a spreadsheet: row 0 is usually the header.
type Tab struct {
	SheetID int64
	Title   string
	Rows    [][]Cell
}

// Spreadsheet is one spreadsheet and its Drive file state.
type Spreadsheet struct {
	ID       string
	Title    string
	TimeZone string
	Version  int64
	Modified time.Time
	Tabs     []*Tab
	// Denied makes every call for the spreadsheet answer 403 (permission revoked).
	Denied bool
}

// Fake is the in-memory state and the HTTP handler. Zero values are not usable: use New.
type Fake struct {
	mu           sync.Mutex
	now          func() time.Time
	sheets       map[string]*Spreadsheet
	nextSheetID  int64
	apiKeys      map[string]bool
	accounts     map[string]any // client_email → *rsa.PublicKey
	tokens       map[string]bool
	throttle     int
	retryAfter   time.Duration
	faults       []Fault
	log          []Request
	disableAuth  bool
	tokenCounter int
}

// Request is one logged request.
type Request struct {
	Method string
	Path   string
	Query  string
	Status int
}

// Fault replaces the answer to the next request whose path contains Match ("" = any).
type Fault struct {
	Match       string
	Status      int
	ContentType string
	Body        string
}

// New returns an empty fake. now is its clock for modification times (time.Now if nil).
func New(now func() time.Time) *Fake {
	if now == nil {
		now = time.Now
	}
	return &Fake{
		now: now, sheets: map[string]*Spreadsheet{}, nextSheetID: 1000,
		apiKeys: map[string]bool{}, accounts: map[string]any{}, tokens: map[string]bool{},
	}
}

// AddAPIKey accepts key as an API key.
func (f *Fake) AddAPIKey(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apiKeys[key] = true
}

// DisableAuth accepts every request without credentials (for the demo).
func (f *Fake) DisableAuth() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disableAuth = true
}

// Throttle answers the next n API requests with 429 RESOURCE_EXHAUSTED, with a
// Retry-After header when retryAfter > 0 (Google usually sends none).
func (f *Fake) Throttle(n int, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle, f.retryAfter = n, retryAfter
}

// InjectFault queues a canned answer (HTML error pages, truncated bodies, 500s).
func (f *Fake) InjectFault(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, ft)
}

// Requests returns the request log (auth token requests included).
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.log...)
}

// ResetLog clears the request log.
func (f *Fake) ResetLog() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = nil
}

// AddSpreadsheet creates a spreadsheet with the given tabs (each tab's first row is its
// header row) and returns it.
func (f *Fake) AddSpreadsheet(id, title string) *Spreadsheet {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &Spreadsheet{ID: id, Title: title, TimeZone: "Etc/GMT", Version: 1, Modified: f.now().UTC()}
	f.sheets[id] = s
	return s
}

// AddTab adds a tab with rows (header first) to a spreadsheet.
func (f *Fake) AddTab(id, title string, rows [][]Cell) error {
	return f.edit(id, func(s *Spreadsheet) error {
		if s.tab(title) != nil {
			return fmt.Errorf("tab %q exists", title)
		}
		f.nextSheetID++
		s.Tabs = append(s.Tabs, &Tab{SheetID: f.nextSheetID, Title: title, Rows: rows})
		return nil
	})
}

// SetTimeZone sets the spreadsheet's time zone (serial date-times are local to it).
func (f *Fake) SetTimeZone(id, tz string) error {
	return f.edit(id, func(s *Spreadsheet) error { s.TimeZone = tz; return nil })
}

// SetCell sets a cell by 1-based row number and 0-based column index, growing the tab.
func (f *Fake) SetCell(id, tab string, row, col int, c Cell) error {
	return f.editTab(id, tab, func(t *Tab) error {
		for len(t.Rows) < row {
			t.Rows = append(t.Rows, nil)
		}
		r := t.Rows[row-1]
		for len(r) <= col {
			r = append(r, Cell{})
		}
		r[col] = c
		t.Rows[row-1] = r
		return nil
	})
}

// AppendRow adds a row at the bottom.
func (f *Fake) AppendRow(id, tab string, row []Cell) error {
	return f.editTab(id, tab, func(t *Tab) error { t.Rows = append(t.Rows, row); return nil })
}

// InsertRow inserts a row so that it becomes row number at (1-based), shifting others down.
func (f *Fake) InsertRow(id, tab string, at int, row []Cell) error {
	return f.editTab(id, tab, func(t *Tab) error {
		if at < 1 || at > len(t.Rows)+1 {
			return fmt.Errorf("row %d out of range", at)
		}
		t.Rows = append(t.Rows[:at-1], append([][]Cell{row}, t.Rows[at-1:]...)...)
		return nil
	})
}

// DeleteRow removes row number n (1-based), shifting others up.
func (f *Fake) DeleteRow(id, tab string, n int) error {
	return f.editTab(id, tab, func(t *Tab) error {
		if n < 1 || n > len(t.Rows) {
			return fmt.Errorf("row %d out of range", n)
		}
		t.Rows = append(t.Rows[:n-1], t.Rows[n:]...)
		return nil
	})
}

// SetRows replaces a tab's rows (header included).
func (f *Fake) SetRows(id, tab string, rows [][]Cell) error {
	return f.editTab(id, tab, func(t *Tab) error { t.Rows = rows; return nil })
}

// RenameTab renames a tab (its sheet id stays).
func (f *Fake) RenameTab(id, from, to string) error {
	return f.editTab(id, from, func(t *Tab) error { t.Title = to; return nil })
}

// DeleteSpreadsheet removes a spreadsheet: later calls answer 404.
func (f *Fake) DeleteSpreadsheet(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sheets, id)
}

// Deny revokes (or restores) the caller's access to a spreadsheet: calls answer 403.
func (f *Fake) Deny(id string, denied bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sheets[id]
	if !ok {
		return fmt.Errorf("no spreadsheet %q", id)
	}
	s.Denied = denied
	return nil
}

// Version returns a spreadsheet's Drive version.
func (f *Fake) Version(id string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.sheets[id]; ok {
		return s.Version
	}
	return 0
}

func (f *Fake) edit(id string, fn func(*Spreadsheet) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sheets[id]
	if !ok {
		return fmt.Errorf("no spreadsheet %q", id)
	}
	if err := fn(s); err != nil {
		return err
	}
	// Drive's version moves on every change; modifiedTime only moves forward.
	s.Version++
	if now := f.now().UTC(); now.After(s.Modified) {
		s.Modified = now
	} else {
		s.Modified = s.Modified.Add(time.Millisecond)
	}
	return nil
}

func (f *Fake) editTab(id, tab string, fn func(*Tab) error) error {
	return f.edit(id, func(s *Spreadsheet) error {
		t := s.tab(tab)
		if t == nil {
			return fmt.Errorf("spreadsheet %q has no tab %q", id, tab)
		}
		return fn(t)
	})
}

func (s *Spreadsheet) tab(title string) *Tab {
	for _, t := range s.Tabs {
		if t.Title == title {
			return t
		}
	}
	return nil
}

// TabID returns a tab's sheet id (gid), 0 when there is no such tab.
func (f *Fake) TabID(id, title string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.sheets[id]; ok {
		if t := s.tab(title); t != nil {
			return t.SheetID
		}
	}
	return 0
}
