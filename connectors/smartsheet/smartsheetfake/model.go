// Package smartsheetfake is an in-memory Smartsheet API 2.0 server for tests and the demo
// simulator. It keeps sheets, columns, rows (with hierarchy), cell history and workspaces,
// and answers the read endpoints the connector uses the way the real API does: typed
// cells with objectValue, `level`, `ifVersionAfter`, `rowsModifiedSince`, paging, bearer
// auth, {errorCode, message, refId} error bodies and switchable 4003 rate limiting.
package smartsheetfake

import (
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Column types and system column types, as the API names them.
const (
	TextNumber       = "TEXT_NUMBER"
	Date             = "DATE"
	DateTime         = "DATETIME"
	AbstractDateTime = "ABSTRACT_DATETIME"
	ContactList      = "CONTACT_LIST"
	MultiContactList = "MULTI_CONTACT_LIST"
	Picklist         = "PICKLIST"
	MultiPicklist    = "MULTI_PICKLIST"
	Checkbox         = "CHECKBOX"
	Duration         = "DURATION"
	Predecessor      = "PREDECESSOR"

	AutoNumber   = "AUTO_NUMBER"
	CreatedBy    = "CREATED_BY"
	CreatedDate  = "CREATED_DATE"
	ModifiedBy   = "MODIFIED_BY"
	ModifiedDate = "MODIFIED_DATE"
)

// Contact is a person in a contact cell or a row's writer info.
type Contact struct {
	Email string
	Name  string
}

// Dependency is one predecessor of a row in a PREDECESSOR cell.
type Dependency struct {
	RowID   int64
	Type    string // FS, SS, FF, SF
	LagDays float64
}

// Days is a DURATION value in working days.
type Days float64

// Column is one column of a sheet.
type Column struct {
	ID               int64
	Title            string
	Type             string
	SystemColumnType string
	Primary          bool
	Options          []string
	// Percent formats TEXT_NUMBER values as percentages (0.5 displays "50%").
	Percent bool
	// Prefix is the AUTO_NUMBER prefix ("PRJ-").
	Prefix string
}

// Row is one row. Cells hold Go values by column id: string, float64, bool, Contact,
// []Contact, []string, []Dependency, Days or time.Time.
type Row struct {
	ID         int64
	ParentID   int64
	Cells      map[int64]any
	CreatedAt  time.Time
	ModifiedAt time.Time
	CreatedBy  Contact
	ModifiedBy Contact
	AutoNumber int
}

// HistoryEntry is one past value of a cell.
type HistoryEntry struct {
	Value      any
	ModifiedAt time.Time
	ModifiedBy Contact
}

// Sheet is one sheet. Rows are kept in display order (a parent before its children).
type Sheet struct {
	ID         int64
	Name       string
	Version    int64
	Columns    []*Column
	Rows       []*Row
	CreatedAt  time.Time
	ModifiedAt time.Time
	// Private sheets are not shared with any token: reads answer 403 errorCode 1004.
	Private bool
	history map[[2]int64][]HistoryEntry
	autoSeq int
}

// Workspace groups sheets.
type Workspace struct {
	ID       int64
	Name     string
	SheetIDs []int64
}

// Request is one request the server answered.
type Request struct {
	Method string
	Path   string
	Query  string
	Status int
}

// Cells are cell values by column title, for AddRow and UpdateRow.
type Cells map[string]any

// Server is the fake. Its zero value is not usable: call New.
type Server struct {
	mu         sync.Mutex
	sheets     map[int64]*Sheet
	order      []int64
	workspaces []*Workspace
	tokens     map[string]Contact
	nextID     int64
	now        func() time.Time
	throttle   int
	retryAfter string
	failures   []failure
	log        []Request
	refSeq     atomic.Int64
}

type failure struct {
	status      int
	contentType string
	body        string
}

// New returns an empty fake. Its clock starts at 2026-01-05 09:00 UTC and advances one
// second per change, so modifiedAt values are distinct and reproducible.
func New() *Server {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	s := &Server{
		sheets: map[int64]*Sheet{},
		tokens: map[string]Contact{},
		nextID: 1_000_000_000_000,
	}
	t := start
	s.now = func() time.Time { t = t.Add(time.Second); return t }
	return s
}

// Start serves the fake on loopback; the API base URL is URL + "/2.0".
func (s *Server) Start() *httptest.Server { return httptest.NewServer(s) }

// SetClock replaces the clock used for createdAt/modifiedAt.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// AddToken accepts a bearer token acting as user.
func (s *Server) AddToken(token string, user Contact) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = user
}

// RevokeToken makes a token invalid (401 errorCode 1002).
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// ThrottleNext answers the next n requests with 429 errorCode 4003. retryAfter, when not
// empty, is sent as a Retry-After header (the real API documents none).
func (s *Server) ThrottleNext(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle, s.retryAfter = n, retryAfter
}

// FailNext answers the next request with a raw body (HTML pages, truncated JSON).
func (s *Server) FailNext(status int, contentType, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{status, contentType, body})
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

func (s *Server) id() int64 {
	s.nextID += 7919 // spread ids like the real API's 16-digit ones
	return s.nextID
}

// AddSheet creates a sheet. The first column is primary unless another one is.
func (s *Server) AddSheet(name string, cols []Column) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sh := &Sheet{ID: s.id(), Name: name, Version: 1, CreatedAt: now, ModifiedAt: now, history: map[[2]int64][]HistoryEntry{}}
	primary := false
	for _, c := range cols {
		primary = primary || c.Primary
	}
	for i, c := range cols {
		c := c
		c.ID = s.id()
		if i == 0 && !primary {
			c.Primary = true
		}
		sh.Columns = append(sh.Columns, &c)
	}
	s.sheets[sh.ID] = sh
	s.order = append(s.order, sh.ID)
	return sh.ID
}

// AddWorkspace creates a workspace holding sheets.
func (s *Server) AddWorkspace(name string, sheetIDs ...int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := &Workspace{ID: s.id(), Name: name, SheetIDs: sheetIDs}
	s.workspaces = append(s.workspaces, w)
	return w.ID
}

// SetWorkspaceSheets replaces the sheets a workspace holds (sheets moved in or out).
func (s *Server) SetWorkspaceSheets(workspaceID int64, sheetIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.workspaces {
		if w.ID == workspaceID {
			w.SheetIDs = sheetIDs
		}
	}
}

// SetPrivate unshares a sheet from every token (or shares it again).
func (s *Server) SetPrivate(sheetID int64, private bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.sheets[sheetID]; sh != nil {
		sh.Private = private
	}
}

// DeleteSheet removes a sheet.
func (s *Server) DeleteSheet(sheetID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sheets, sheetID)
}

// Version returns a sheet's version.
func (s *Server) Version(sheetID int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.sheets[sheetID]; sh != nil {
		return sh.Version
	}
	return 0
}

// ColumnID returns the id of a column by title, or 0.
func (s *Server) ColumnID(sheetID int64, title string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.sheets[sheetID]; sh != nil {
		if c := sh.column(title); c != nil {
			return c.ID
		}
	}
	return 0
}

func (sh *Sheet) column(title string) *Column {
	for _, c := range sh.Columns {
		if strings.EqualFold(c.Title, title) {
			return c
		}
	}
	return nil
}

func (sh *Sheet) rowIndex(id int64) int {
	for i, r := range sh.Rows {
		if r.ID == id {
			return i
		}
	}
	return -1
}

// subtreeEnd is the index after the last descendant of the row at i.
func (sh *Sheet) subtreeEnd(i int) int {
	inside := map[int64]bool{sh.Rows[i].ID: true}
	j := i + 1
	for ; j < len(sh.Rows) && inside[sh.Rows[j].ParentID]; j++ {
		inside[sh.Rows[j].ID] = true
	}
	return j
}

func (s *Server) touch(sh *Sheet, now time.Time) {
	sh.Version++
	sh.ModifiedAt = now
}

// AddRow appends a row at the end of the sheet, or as the last child of parentID.
func (s *Server) AddRow(sheetID, parentID int64, cells Cells) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.sheets[sheetID]
	if sh == nil {
		return 0, fmt.Errorf("smartsheetfake: no sheet %d", sheetID)
	}
	at := len(sh.Rows)
	if parentID != 0 {
		p := sh.rowIndex(parentID)
		if p < 0 {
			return 0, fmt.Errorf("smartsheetfake: sheet %d has no row %d", sheetID, parentID)
		}
		at = sh.subtreeEnd(p)
	}
	now := s.now()
	editor := s.editor()
	sh.autoSeq++
	r := &Row{ID: s.id(), ParentID: parentID, Cells: map[int64]any{}, CreatedAt: now, ModifiedAt: now, CreatedBy: editor, ModifiedBy: editor, AutoNumber: sh.autoSeq}
	if err := sh.set(r, cells, now, editor); err != nil {
		return 0, err
	}
	sh.Rows = append(sh.Rows[:at], append([]*Row{r}, sh.Rows[at:]...)...)
	s.touch(sh, now)
	return r.ID, nil
}

// UpdateRow sets cells of a row (nil deletes a value) and bumps its modifiedAt.
func (s *Server) UpdateRow(sheetID, rowID int64, cells Cells) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.sheets[sheetID]
	if sh == nil {
		return fmt.Errorf("smartsheetfake: no sheet %d", sheetID)
	}
	i := sh.rowIndex(rowID)
	if i < 0 {
		return fmt.Errorf("smartsheetfake: sheet %d has no row %d", sheetID, rowID)
	}
	now := s.now()
	r := sh.Rows[i]
	r.ModifiedAt, r.ModifiedBy = now, s.editor()
	if err := sh.set(r, cells, now, r.ModifiedBy); err != nil {
		return err
	}
	s.touch(sh, now)
	return nil
}

func (sh *Sheet) set(r *Row, cells Cells, now time.Time, by Contact) error {
	titles := make([]string, 0, len(cells))
	for t := range cells {
		titles = append(titles, t)
	}
	sort.Strings(titles)
	for _, t := range titles {
		c := sh.column(t)
		if c == nil {
			return fmt.Errorf("smartsheetfake: sheet %d has no column %q", sh.ID, t)
		}
		v := normalizeValue(cells[t])
		if v == nil {
			delete(r.Cells, c.ID)
		} else {
			r.Cells[c.ID] = v
		}
		k := [2]int64{r.ID, c.ID}
		sh.history[k] = append(sh.history[k], HistoryEntry{Value: v, ModifiedAt: now, ModifiedBy: by})
	}
	return nil
}

// normalizeValue keeps numbers as float64 and cuts text at 4,000 characters as the API does.
func normalizeValue(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case string:
		if r := []rune(x); len(r) > 4000 {
			return string(r[:4000])
		}
	}
	return v
}

// DeleteRow deletes a row and its children, as Smartsheet does.
func (s *Server) DeleteRow(sheetID, rowID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.sheets[sheetID]
	if sh == nil {
		return fmt.Errorf("smartsheetfake: no sheet %d", sheetID)
	}
	i := sh.rowIndex(rowID)
	if i < 0 {
		return fmt.Errorf("smartsheetfake: sheet %d has no row %d", sheetID, rowID)
	}
	sh.Rows = append(sh.Rows[:i], sh.Rows[sh.subtreeEnd(i):]...)
	s.touch(sh, s.now())
	return nil
}

// MoveRow re-parents a row with its children (indent under newParentID, or outdent to
// the top level with 0). Like a drag in the grid, it does not change the row's cells or
// its modifiedAt: only the sheet version moves.
func (s *Server) MoveRow(sheetID, rowID, newParentID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.sheets[sheetID]
	if sh == nil {
		return fmt.Errorf("smartsheetfake: no sheet %d", sheetID)
	}
	i := sh.rowIndex(rowID)
	if i < 0 {
		return fmt.Errorf("smartsheetfake: sheet %d has no row %d", sheetID, rowID)
	}
	end := sh.subtreeEnd(i)
	moved := append([]*Row(nil), sh.Rows[i:end]...)
	for _, r := range moved {
		if r.ID == newParentID {
			return fmt.Errorf("smartsheetfake: cannot move row %d under itself", rowID)
		}
	}
	rest := append(append([]*Row(nil), sh.Rows[:i]...), sh.Rows[end:]...)
	at := len(rest)
	if newParentID != 0 {
		tmp := &Sheet{Rows: rest}
		p := tmp.rowIndex(newParentID)
		if p < 0 {
			return fmt.Errorf("smartsheetfake: sheet %d has no row %d", sheetID, newParentID)
		}
		at = tmp.subtreeEnd(p)
	}
	moved[0].ParentID = newParentID
	sh.Rows = append(rest[:at], append(moved, rest[at:]...)...)
	s.touch(sh, s.now())
	return nil
}

// RenameColumn changes a column's title.
func (s *Server) RenameColumn(sheetID int64, title, newTitle string) error {
	return s.alterColumn(sheetID, title, func(c *Column) { c.Title = newTitle })
}

// SetColumnType changes a column's type; stored values are kept and shown as the new
// type shows them (as text when they no longer fit).
func (s *Server) SetColumnType(sheetID int64, title, typ string) error {
	return s.alterColumn(sheetID, title, func(c *Column) { c.Type = typ })
}

func (s *Server) alterColumn(sheetID int64, title string, fn func(*Column)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.sheets[sheetID]
	if sh == nil {
		return fmt.Errorf("smartsheetfake: no sheet %d", sheetID)
	}
	c := sh.column(title)
	if c == nil {
		return fmt.Errorf("smartsheetfake: sheet %d has no column %q", sheetID, title)
	}
	fn(c)
	s.touch(sh, s.now())
	return nil
}

// RowIDs lists a sheet's row ids in display order.
func (s *Server) RowIDs(sheetID int64) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.sheets[sheetID]
	if sh == nil {
		return nil
	}
	out := make([]int64, len(sh.Rows))
	for i, r := range sh.Rows {
		out[i] = r.ID
	}
	return out
}

// editor is who changes rows: the first token's user, for writer info.
func (s *Server) editor() Contact {
	var keys []string
	for k := range s.tokens {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return Contact{Email: "owner@example.com", Name: "Sheet Owner"}
	}
	return s.tokens[keys[0]]
}
