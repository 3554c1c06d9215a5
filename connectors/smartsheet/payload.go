package smartsheet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors/tabular"
)

// RowPayload is the raw record of the rows stream: the tabular payload shape (a `cells`
// object keyed by column title, typed by column type) plus the row's place in the plan.
type RowPayload struct {
	Sheet          SheetRef         `json:"sheet"`
	ID             int64            `json:"id"`
	Key            string           `json:"key"`
	Title          string           `json:"title"`
	ParentID       int64            `json:"parent_id,omitempty"`
	ParentNativeID string           `json:"parent_native_id,omitempty"`
	Depth          int              `json:"depth"`
	HasChildren    bool             `json:"has_children"`
	RowKind        string           `json:"row_kind"` // phase, milestone or task
	Permalink      string           `json:"permalink,omitempty"`
	CreatedAt      string           `json:"created_at,omitempty"`
	ModifiedAt     string           `json:"modified_at,omitempty"`
	CreatedBy      *Contact         `json:"created_by,omitempty"`
	ModifiedBy     *Contact         `json:"modified_by,omitempty"`
	Assignee       *Contact         `json:"assignee,omitempty"`
	Cells          map[string]any   `json:"cells"`
	Contacts       []ContactRef     `json:"contacts,omitempty"`
	Links          []Link           `json:"links,omitempty"`
	StatusHistory  []StatusChange   `json:"status_history,omitempty"`
	Problems       []PayloadProblem `json:"problems,omitempty"`
}

// SheetRef names the sheet a row belongs to and what it is mapped as.
type SheetRef struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Entity    string `json:"entity"`
	Project   string `json:"project,omitempty"`
	Permalink string `json:"permalink,omitempty"`
}

// ContactRef is a person named by a row, for the people entity.
type ContactRef struct {
	Column string `json:"column"`
	Email  string `json:"email"`
	Name   string `json:"name,omitempty"`
}

// Link relates two rows by native id: parent rows and predecessors.
type Link struct {
	From string `json:"from"`
	To   string `json:"to"`
	Kind string `json:"kind"`
}

// StatusChange is one status change of a row, found by comparing with the stored state or
// read from cell history.
type StatusChange struct {
	ID     string `json:"id"`
	Column string `json:"column"`
	From   string `json:"from"`
	To     string `json:"to"`
	At     string `json:"at"`
	By     string `json:"by,omitempty"`
}

// PayloadProblem is a cell a user should look at (kept in the payload for analysts).
type PayloadProblem struct {
	Column string `json:"column"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Default column titles the connector recognises, in order of preference.
var (
	assigneeTitles = []string{"Assigned To", "Assignee", "Owner", "Resource", "Responsible", "Project Manager", "PM"}
	durationTitles = []string{"Duration"}
)

// sheetView is a sheet's columns as this sync reads them.
type sheetView struct {
	cfg       SheetConfig
	id        int64
	name      string
	permalink string
	project   string
	cols      []Column
	byID      map[int64]*Column
	primary   *Column
	key       *Column // nil: rows are keyed by row id
	status    *Column
	assignee  *Column
	duration  *Column
	objects   objectCache // parsed objectValues; the view is used by one goroutine
}

func newSheetView(source string, cfg SheetConfig, sh *Sheet) (*sheetView, error) {
	v := &sheetView{cfg: cfg, id: sh.ID, name: sh.Name, permalink: sh.Permalink, cols: sh.Columns, byID: map[int64]*Column{}, objects: objectCache{}}
	v.project = cfg.Project
	for i := range sh.Columns {
		c := &sh.Columns[i]
		v.byID[c.ID] = c
		if c.Primary && v.primary == nil {
			v.primary = c
		}
	}
	if v.primary == nil && len(sh.Columns) > 0 {
		v.primary = &sh.Columns[0]
	}
	if cfg.Key != "" {
		if v.key = v.column(cfg.Key); v.key == nil {
			return nil, fmt.Errorf("sheet %s: key column %q not found in %s (renamed or removed?)", v.ref(), cfg.Key, v.titles())
		}
	}
	statusTitle := cfg.StatusColumn
	if statusTitle == "" {
		statusTitle = "Status"
	}
	v.status = v.column(statusTitle)
	if v.status == nil && cfg.StatusColumn != "" {
		return nil, fmt.Errorf("sheet %s: status column %q not found in %s", v.ref(), cfg.StatusColumn, v.titles())
	}
	for _, t := range assigneeTitles {
		if c := v.column(t); c != nil && v.assignee == nil {
			v.assignee = c
		}
	}
	for i := range v.cols {
		if hasTag(&v.cols[i], "GANTT_ASSIGNED_RESOURCE") {
			v.assignee = &v.cols[i]
		}
		if hasTag(&v.cols[i], "GANTT_DURATION") {
			v.duration = &v.cols[i]
		}
	}
	if v.duration == nil {
		v.duration = v.column(durationTitles[0])
	}
	return v, nil
}

func (v *sheetView) column(title string) *Column {
	n := tabular.Normalize(title)
	for i := range v.cols {
		if tabular.Normalize(v.cols[i].Title) == n {
			return &v.cols[i]
		}
	}
	return nil
}

func (v *sheetView) titles() string {
	t := make([]string, len(v.cols))
	for i, c := range v.cols {
		t[i] = strconv.Quote(c.Title)
	}
	return "[" + strings.Join(t, ", ") + "]"
}

// ref names the sheet in messages: "Plan" (123).
func (v *sheetView) ref() string { return fmt.Sprintf("%q (%d)", v.name, v.id) }

// nativeID is the record id: sheet id and row id, or sheet id and key value, so the rows
// of one sheet are found by prefix and keys only need to be unique within their sheet.
func nativeID(sheetID int64, key string) string { return strconv.FormatInt(sheetID, 10) + "/" + key }

func sheetPrefix(sheetID int64) string { return strconv.FormatInt(sheetID, 10) + "/" }

// shape is a row's place in the hierarchy.
type shape struct {
	Parent      int64
	Depth       int
	HasChildren bool
}

// hierarchy maps row ids to their place; rows come in display order (parents first).
func hierarchy(rows []Row) map[int64]shape {
	h := make(map[int64]shape, len(rows))
	for _, r := range rows {
		s := shape{Parent: r.ParentID}
		if p, ok := h[r.ParentID]; ok && r.ParentID != 0 {
			s.Depth = p.Depth + 1
			p.HasChildren = true
			h[r.ParentID] = p
		}
		if prev, ok := h[r.ID]; ok {
			s.HasChildren = prev.HasChildren
		}
		h[r.ID] = s
	}
	return h
}

// rowKey is the row's key: the key column's text, or the row id.
func (v *sheetView) rowKey(r *Row) string {
	if v.key == nil {
		return strconv.FormatInt(r.ID, 10)
	}
	for i := range r.Cells {
		if r.Cells[i].ColumnID == v.key.ID {
			val, _ := decodeCell(v.key, &r.Cells[i])
			return strings.TrimSpace(valueText(val))
		}
	}
	return ""
}

// payload builds a row's record payload. keys maps row ids to keys (keyed sheets).
func (v *sheetView) payload(r *Row, h map[int64]shape, keys map[int64]string) *RowPayload {
	key := keys[r.ID]
	p := &RowPayload{
		Sheet: SheetRef{ID: v.id, Name: v.name, Entity: v.cfg.Entity, Project: v.project, Permalink: v.permalink},
		ID:    r.ID, Key: key, Permalink: r.Permalink, Cells: make(map[string]any, len(v.cols)),
		CreatedAt: isoTime(r.CreatedAt), ModifiedAt: isoTime(r.ModifiedAt),
	}
	s := h[r.ID]
	p.ParentID, p.Depth, p.HasChildren = r.ParentID, s.Depth, s.HasChildren
	if r.ParentID != 0 {
		if pk := keys[r.ParentID]; pk != "" {
			p.ParentNativeID = nativeID(v.id, pk)
			p.Links = append(p.Links, Link{From: nativeID(v.id, key), To: p.ParentNativeID, Kind: "parent"})
		}
	}
	if r.CreatedBy != nil {
		p.CreatedBy = &Contact{Email: r.CreatedBy.Email, Name: r.CreatedBy.Name}
	}
	if r.ModifiedBy != nil {
		p.ModifiedBy = &Contact{Email: r.ModifiedBy.Email, Name: r.ModifiedBy.Name}
	}
	for i := range v.cols {
		p.Cells[v.cols[i].Title] = nil
	}
	seen := map[string]bool{}
	addContact := func(col string, c Contact) {
		if c.Email != "" && !seen[strings.ToLower(c.Email)] {
			seen[strings.ToLower(c.Email)] = true
			p.Contacts = append(p.Contacts, ContactRef{Column: col, Email: c.Email, Name: c.Name})
		}
	}
	for i := range r.Cells {
		cell := &r.Cells[i]
		col := v.byID[cell.ColumnID]
		if col == nil {
			continue
		}
		val, issues := decodeCellWith(col, cell, v.objects)
		for _, is := range issues {
			p.Problems = append(p.Problems, PayloadProblem{Column: col.Title, Kind: is.kind, Detail: is.detail})
		}
		p.Cells[col.Title] = val
		switch x := val.(type) {
		case Contact:
			addContact(col.Title, x)
			if col == v.assignee {
				p.Assignee = &x
			}
		case []Contact:
			for _, c := range x {
				addContact(col.Title, c)
			}
			if col == v.assignee && len(x) > 0 {
				p.Assignee = &x[0]
			}
		case string:
			if col == v.assignee && x != "" {
				p.Assignee = &Contact{Name: x}
			}
		case []Predecessor:
			for _, d := range x {
				if pk := keys[d.RowID]; pk != "" {
					p.Links = append(p.Links, Link{From: nativeID(v.id, pk), To: nativeID(v.id, key), Kind: "blocks"})
				}
			}
		}
		if col == v.primary {
			p.Title = valueText(val)
		}
	}
	for _, c := range []*Contact{p.CreatedBy, p.ModifiedBy} {
		if c != nil {
			addContact("", *c)
		}
	}
	p.RowKind = "task"
	switch {
	case p.HasChildren:
		p.RowKind = "phase"
	case v.duration != nil:
		if d, ok := p.Cells[v.duration.Title].(float64); ok && d == 0 {
			p.RowKind = "milestone"
		}
	}
	return p
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// valueText is a typed cell value as plain text (for titles, keys and status compares).
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case Contact:
		if x.Name != "" {
			return x.Name
		}
		return x.Email
	case []string:
		return strings.Join(x, ", ")
	case []Contact:
		parts := make([]string, len(x))
		for i, c := range x {
			parts[i] = valueText(c)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}
