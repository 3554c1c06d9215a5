package smartsheetfake

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type renderOpts struct {
	level       int
	objectValue bool
	columnType  bool
	nonexistent bool // include cells without a value
	rowNumber   map[int64]int
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func idSet(s string) map[int64]bool {
	if s == "" {
		return nil
	}
	out := map[int64]bool{}
	for _, p := range splitList(s) {
		if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
			out[id] = true
		}
	}
	return out
}

func (s *Server) getSheet(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.sheet(w, r)
	if sh == nil {
		return
	}
	q := r.URL.Query()
	if v := q.Get("ifVersionAfter"); v != "" {
		after, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.fail(w, http.StatusBadRequest, 1018, "The value for ifVersionAfter is not valid.")
			return
		}
		if sh.Version <= after {
			writeJSON(w, http.StatusOK, map[string]any{"version": sh.Version})
			return
		}
	}
	opts := renderOpts{rowNumber: map[int64]int{}}
	opts.level, _ = strconv.Atoi(q.Get("level"))
	for _, inc := range splitList(q.Get("include")) {
		switch inc {
		case "objectValue":
			opts.objectValue = true
		case "columnType":
			opts.columnType = true
		}
	}
	opts.nonexistent = !strings.Contains(q.Get("exclude"), "nonexistentCells")
	include := q.Get("include")
	var since time.Time
	if v := q.Get("rowsModifiedSince"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(w, http.StatusBadRequest, 1018, "The value for rowsModifiedSince is not valid.")
			return
		}
		since = t
	}
	colFilter, rowFilter := idSet(q.Get("columnIds")), idSet(q.Get("rowIds"))
	var rows []*Row
	for i, row := range sh.Rows {
		opts.rowNumber[row.ID] = i + 1
		if rowFilter != nil && !rowFilter[row.ID] {
			continue
		}
		if !since.IsZero() && !row.ModifiedAt.After(since) {
			continue
		}
		rows = append(rows, row)
	}
	total := len(rows)
	if q.Get("pageSize") != "" || q.Get("page") != "" {
		_, _, from, to := paging(q, total)
		rows = rows[from:to]
	}
	var cols []*Column
	for _, c := range sh.Columns {
		if colFilter == nil || colFilter[c.ID] {
			cols = append(cols, c)
		}
	}
	colsJSON := make([]any, 0, len(cols))
	for _, c := range cols {
		colsJSON = append(colsJSON, columnJSON(c, indexOf(sh.Columns, c), opts.level))
	}
	rowsJSON := make([]rowOut, 0, len(rows))
	for _, row := range rows {
		rowsJSON = append(rowsJSON, sh.rowJSON(row, cols, opts, include))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": sh.ID, "name": sh.Name, "version": sh.Version, "totalRowCount": total,
		"accessLevel": "OWNER", "ganttEnabled": false, "dependenciesEnabled": sh.hasType(Predecessor),
		"permalink": permalink(sh.ID, 0), "createdAt": stamp(sh.CreatedAt), "modifiedAt": stamp(sh.ModifiedAt),
		"columns": colsJSON, "rows": rowsJSON,
	})
}

func indexOf(cols []*Column, c *Column) int {
	for i, x := range cols {
		if x == c {
			return i
		}
	}
	return -1
}

func (sh *Sheet) hasType(t string) bool {
	for _, c := range sh.Columns {
		if c.Type == t {
			return true
		}
	}
	return false
}

// effectiveType is the type a client asking for `level` sees: multi-contact and
// multi-picklist columns read as TEXT_NUMBER below their level, for old clients.
func effectiveType(c *Column, level int) string {
	switch {
	case c.Type == MultiContactList && level < 1, c.Type == MultiPicklist && level < 2:
		return TextNumber
	}
	return c.Type
}

func columnJSON(c *Column, index, level int) map[string]any {
	m := map[string]any{"id": c.ID, "index": index, "title": c.Title, "type": effectiveType(c, level), "validation": false, "width": 150}
	if c.Primary {
		m["primary"] = true
	}
	if len(c.Options) > 0 {
		m["options"] = c.Options
	}
	if c.SystemColumnType != "" {
		m["systemColumnType"] = c.SystemColumnType
	}
	switch effectiveType(c, level) {
	case MultiContactList:
		m["version"] = 1
	case MultiPicklist:
		m["version"] = 2
	default:
		m["version"] = 0
	}
	return m
}

// contactOut is a contact (a row's writer, or a contact cell's objectValue).
type contactOut struct {
	ObjectType string `json:"objectType,omitempty"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name"`
}

func contactJSON(c Contact) contactOut { return contactOut{Email: c.Email, Name: c.Name} }

// objectOut is a cell's objectValue; fields not set are left out.
type objectOut struct {
	ObjectType   string    `json:"objectType"`
	Values       any       `json:"values,omitempty"`
	Predecessors []predOut `json:"predecessors,omitempty"`
	Days         *float64  `json:"days,omitempty"`
}

type predOut struct {
	RowID          int64     `json:"rowId"`
	RowNumber      int       `json:"rowNumber"`
	Type           string    `json:"type"`
	InCriticalPath bool      `json:"inCriticalPath"`
	Lag            objectOut `json:"lag"`
}

// rowOut and cellOut are a row and a cell as the API writes them: structs rather than
// maps, so that serving a 10,000-row sheet does not dominate the benchmarks.
type rowOut struct {
	ID         int64     `json:"id"`
	SheetID    int64     `json:"sheetId"`
	RowNumber  int       `json:"rowNumber"`
	ParentID   int64     `json:"parentId,omitempty"`
	Expanded   bool      `json:"expanded"`
	CreatedAt  string    `json:"createdAt"`
	ModifiedAt string    `json:"modifiedAt"`
	CreatedBy  any       `json:"createdBy,omitempty"`
	ModifiedBy any       `json:"modifiedBy,omitempty"`
	Permalink  string    `json:"permalink,omitempty"`
	Cells      []cellOut `json:"cells"`
}

// cellOut leaves out what a cell does not have; an empty displayValue is still written
// when set (interfaces are only omitted when nil).
type cellOut struct {
	ColumnID     int64  `json:"columnId"`
	ColumnType   string `json:"columnType,omitempty"`
	Value        any    `json:"value,omitempty"`
	DisplayValue any    `json:"displayValue,omitempty"`
	ObjectValue  any    `json:"objectValue,omitempty"`
}

func (sh *Sheet) rowJSON(row *Row, cols []*Column, opts renderOpts, include string) rowOut {
	m := rowOut{
		ID: row.ID, SheetID: sh.ID, RowNumber: opts.rowNumber[row.ID], Expanded: true,
		CreatedAt: stamp(row.CreatedAt), ModifiedAt: stamp(row.ModifiedAt), ParentID: row.ParentID,
	}
	if strings.Contains(include, "writerInfo") {
		m.CreatedBy, m.ModifiedBy = contactJSON(row.CreatedBy), contactJSON(row.ModifiedBy)
	}
	if strings.Contains(include, "rowPermalink") {
		m.Permalink = permalink(sh.ID, row.ID)
	}
	m.Cells = make([]cellOut, 0, len(cols))
	for _, c := range cols {
		if cell, ok := sh.renderCell(c, row, opts); ok {
			m.Cells = append(m.Cells, cell)
		} else if opts.nonexistent {
			m.Cells = append(m.Cells, cellOut{ColumnID: c.ID})
		}
	}
	return m
}

// renderCell shows a stored value as the column's type shows it; false when empty.
func (sh *Sheet) renderCell(c *Column, row *Row, opts renderOpts) (cellOut, bool) {
	typ := effectiveType(c, opts.level)
	v, ok := row.Cells[c.ID]
	switch c.SystemColumnType {
	case AutoNumber:
		v, ok = fmt.Sprintf("%s%04d", c.Prefix, row.AutoNumber), true
	case CreatedDate:
		v, ok = row.CreatedAt, true
	case ModifiedDate:
		v, ok = row.ModifiedAt, true
	case CreatedBy:
		v, ok = row.CreatedBy, true
	case ModifiedBy:
		v, ok = row.ModifiedBy, true
	}
	if !ok || v == nil {
		return cellOut{}, false
	}
	cell := cellOut{ColumnID: c.ID}
	if opts.columnType {
		cell.ColumnType = typ
	}
	text := sh.text(v, c, opts)
	switch x := v.(type) {
	case Contact:
		if typ == ContactList {
			cell.Value, cell.DisplayValue = firstNonEmpty(x.Email, x.Name), firstNonEmpty(x.Name, x.Email)
			if opts.objectValue && x.Email != "" {
				ov := contactJSON(x)
				ov.ObjectType = "CONTACT"
				cell.ObjectValue = ov
			}
			return cell, true
		}
	case []Contact:
		if typ == MultiContactList {
			cell.DisplayValue = text
			if opts.objectValue {
				vals := make([]contactOut, 0, len(x))
				for _, ct := range x {
					ov := contactJSON(ct)
					ov.ObjectType = "CONTACT"
					vals = append(vals, ov)
				}
				cell.ObjectValue = objectOut{ObjectType: "MULTI_CONTACT", Values: vals}
			}
			return cell, true
		}
	case []string:
		if typ == MultiPicklist {
			cell.DisplayValue = text
			if opts.objectValue {
				cell.ObjectValue = objectOut{ObjectType: "MULTI_PICKLIST", Values: x}
			}
			return cell, true
		}
	case []Dependency:
		if typ == Predecessor {
			cell.Value, cell.DisplayValue = text, text
			if opts.objectValue {
				preds := make([]predOut, 0, len(x))
				for _, d := range x {
					preds = append(preds, predOut{RowID: d.RowID, RowNumber: opts.rowNumber[d.RowID], Type: d.Type,
						Lag: objectOut{ObjectType: "DURATION", Days: &d.LagDays}})
				}
				cell.ObjectValue = objectOut{ObjectType: "PREDECESSOR_LIST", Predecessors: preds}
			}
			return cell, true
		}
	case Days:
		if typ == Duration {
			cell.Value, cell.DisplayValue = text, text
			if opts.objectValue {
				days := float64(x)
				cell.ObjectValue = objectOut{ObjectType: "DURATION", Days: &days}
			}
			return cell, true
		}
	case bool:
		if typ == Checkbox {
			cell.Value = x
			return cell, true
		}
	case time.Time:
		switch typ {
		case Date:
			cell.Value = x.UTC().Format("2006-01-02")
			return cell, true
		case DateTime:
			cell.Value = stamp(x)
			cell.DisplayValue = x.UTC().Format("01/02/06 3:04 PM")
			return cell, true
		case AbstractDateTime:
			cell.Value = x.Format("2006-01-02T15:04:05")
			return cell, true
		}
	case float64:
		if typ == TextNumber || typ == Picklist {
			cell.Value, cell.DisplayValue = x, text
			return cell, true
		}
	case string:
		switch typ {
		case Date, AbstractDateTime, DateTime:
			cell.Value = x
			return cell, true
		}
	}
	// Anything else (plain text, or a value the column's new type cannot hold) is text.
	cell.Value, cell.DisplayValue = text, text
	return cell, true
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// text is a value's displayValue.
func (sh *Sheet) text(v any, c *Column, opts renderOpts) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if c.Percent {
			return strconv.FormatFloat(x*100, 'f', -1, 64) + "%"
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case Contact:
		return firstNonEmpty(x.Name, x.Email)
	case []Contact:
		names := make([]string, len(x))
		for i, ct := range x {
			names[i] = firstNonEmpty(ct.Name, ct.Email)
		}
		return strings.Join(names, ", ")
	case []string:
		return strings.Join(x, ", ")
	case Days:
		return strconv.FormatFloat(float64(x), 'f', -1, 64) + "d"
	case []Dependency:
		parts := make([]string, len(x))
		for i, d := range x {
			parts[i] = fmt.Sprintf("%d%s", opts.rowNumber[d.RowID], d.Type)
			if d.LagDays != 0 {
				parts[i] += fmt.Sprintf(" %+gd", d.LagDays)
			}
		}
		return strings.Join(parts, ", ")
	case time.Time:
		return x.UTC().Format("2006-01-02")
	}
	return fmt.Sprint(v)
}
