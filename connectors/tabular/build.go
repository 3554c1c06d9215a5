package tabular

import (
	"strconv"
	"strings"
	"time"
)

// Options say how to read a table.
type Options struct {
	// KeyColumn identifies a row across syncs, whatever row number it moves to. Required.
	KeyColumn string
	// Types fixes column types by title (case-insensitive), as a mapping or configuration
	// does; other columns are inferred.
	Types map[string]Type
	// MappingTypes are the types the source's mapping reads columns as (MappingTypes):
	// a column whose inferred type does not fit its mapping type takes the mapping type,
	// and its cells that do not fit are kept as text and reported. Types wins over it.
	MappingTypes map[string]Type
	// Location is the time zone of serial date-times and zone-less text times (the
	// spreadsheet's time zone); UTC when nil.
	Location *time.Location
	// MinFit is the share of a column's non-empty values a type must fit to be inferred
	// (the rest are kept as text and reported); 0 means 0.8.
	MinFit float64
}

// Row is a typed, keyed row.
type Row struct {
	Key    string
	Number int
	ID     string
	// Cells holds every column by title: string, float64, bool, or nil when empty. A value
	// that does not fit its column's type is kept as text.
	Cells map[string]any
	// Problems lists the cells that did not fit their column's type.
	Problems []CellProblem
	// Hash identifies the row's content (cells only, not its position), for diffs.
	Hash string
}

// CellProblem is a cell kept as text because it does not fit its column's type.
type CellProblem struct {
	Column string `json:"column"`
	Type   Type   `json:"type"`
	Value  string `json:"value"`
}

// Result is a built table.
type Result struct {
	Ref     TableRef
	Columns []Column // with their final types
	Rows    []Row    // keyed rows in sheet order; rows without a usable key are left out
	// Problems lists empty and duplicate keys and cells that did not fit, for reporting.
	Problems []Problem
}

// Build types and keys a table. Empty keys are skipped; of rows sharing a key the first
// (top-most) keeps it and later ones are skipped; both are reported with tab, row number
// and value. A missing key column is a *SchemaError: the caller must not treat the table
// as empty.
func Build(t Table, opt Options) (*Result, error) {
	res := &Result{Ref: t.Ref}
	if strings.TrimSpace(opt.KeyColumn) == "" {
		return nil, &SchemaError{Table: t.Ref, Detail: "no key column configured"}
	}
	cols := make([]Column, len(t.Columns))
	copy(cols, t.Columns)
	keyIdx := -1
	seenTitle := make(map[string]int, len(cols))
	for i := range cols {
		title := strings.TrimSpace(cols[i].Title)
		cols[i].Title = title
		norm := Normalize(title)
		if title == "" {
			res.Problems = append(res.Problems, Problem{Kind: ProblemEmptyTitle, Table: t.Ref, Column: ColumnLetter(i), Detail: "column has no header; its cells are not read"})
			continue
		}
		if j, dup := seenTitle[norm]; dup {
			res.Problems = append(res.Problems, Problem{Kind: ProblemDuplicateCol, Table: t.Ref, Column: title, Detail: "header repeats column " + ColumnLetter(j) + "; only the first is read"})
			cols[i].Title = ""
			continue
		}
		seenTitle[norm] = i
		if norm == Normalize(opt.KeyColumn) {
			keyIdx = i
		}
		if ft, ok := lookupType(opt.Types, title); ok && ft != TypeAuto {
			cols[i].Type, cols[i].Fixed = ft, true
		}
	}
	if keyIdx < 0 {
		return nil, &SchemaError{Table: t.Ref, Column: opt.KeyColumn, Detail: "key column not found in header " + quoteTitles(cols) + " (renamed or removed?)"}
	}
	for title := range opt.Types {
		if _, ok := seenTitle[Normalize(title)]; !ok {
			return nil, &SchemaError{Table: t.Ref, Column: title, Detail: "a column type is configured for a column the header does not have " + quoteTitles(cols)}
		}
	}
	// The key is text whatever it looks like: "007" and 7 must stay distinct ids.
	cols[keyIdx].Type, cols[keyIdx].Fixed = TypeText, true
	minFit := opt.MinFit
	if minFit <= 0 {
		minFit = 0.8
	}
	for i := range cols {
		if cols[i].Title == "" || cols[i].Fixed {
			continue
		}
		cols[i].Type = infer(t.Rows, i, cols[i].Hint, minFit, opt.Location)
		if mt, ok := lookupType(opt.MappingTypes, cols[i].Title); ok && !fitsMappingType(cols[i].Type, mt) {
			cols[i].Type, cols[i].Fixed = mt, true
		}
	}
	res.Columns = cols

	seenKey := make(map[string]int, len(t.Rows))
	res.Rows = make([]Row, 0, len(t.Rows))
	for _, raw := range t.Rows {
		if allEmpty(raw.Values) {
			continue // blank spacer rows are not records
		}
		var keyVal any
		if keyIdx < len(raw.Values) {
			keyVal = raw.Values[keyIdx]
		}
		key := strings.TrimSpace(Text(keyVal))
		if key == "" {
			res.Problems = append(res.Problems, Problem{Kind: ProblemEmptyKey, Table: t.Ref, Row: raw.Number, Column: cols[keyIdx].Title, Detail: "row skipped: its key cell is empty"})
			continue
		}
		if first, dup := seenKey[key]; dup {
			res.Problems = append(res.Problems, Problem{Kind: ProblemDuplicateKey, Table: t.Ref, Row: raw.Number, Column: cols[keyIdx].Title, Value: key, Detail: "row skipped: row " + strconv.Itoa(first) + " has the same key"})
			continue
		}
		seenKey[key] = raw.Number
		row := Row{Key: key, Number: raw.Number, ID: raw.ID, Cells: make(map[string]any, len(cols))}
		for i, c := range cols {
			if c.Title == "" {
				continue
			}
			var v any
			if i < len(raw.Values) {
				v = raw.Values[i]
			}
			typed, ok := Convert(v, c.Type, opt.Location)
			if !ok {
				text := Text(v)
				typed = text
				row.Problems = append(row.Problems, CellProblem{Column: c.Title, Type: c.Type, Value: text})
				res.Problems = append(res.Problems, Problem{Kind: ProblemTypeMismatch, Table: t.Ref, Row: raw.Number, Column: c.Title, Value: text, Detail: "kept as text: not a " + string(c.Type)})
			}
			row.Cells[c.Title] = typed
		}
		row.Hash = hashCells(row.Cells)
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// Column returns the built column with a title (case-insensitive), or false.
func (r *Result) Column(title string) (Column, bool) {
	n := Normalize(title)
	for _, c := range r.Columns {
		if c.Title != "" && Normalize(c.Title) == n {
			return c, true
		}
	}
	return Column{}, false
}

// Titles lists the read column titles in order.
func (r *Result) Titles() []string {
	out := make([]string, 0, len(r.Columns))
	for _, c := range r.Columns {
		if c.Title != "" {
			out = append(out, c.Title)
		}
	}
	return out
}

// Normalize is how column titles match: case-insensitive, surrounding spaces ignored, as
// mappings match `column:`.
func Normalize(title string) string {
	return strings.ToLower(strings.TrimSpace(title))
}

// ColumnLetter is the A1 letter of a 0-based column index (0 → A, 26 → AA).
func ColumnLetter(i int) string {
	s := ""
	for i >= 0 {
		s = string(rune('A'+i%26)) + s
		i = i/26 - 1
	}
	return s
}

func lookupType(types map[string]Type, title string) (Type, bool) {
	if t, ok := types[title]; ok {
		return t, true
	}
	n := Normalize(title)
	for k, t := range types {
		if Normalize(k) == n {
			return t, true
		}
	}
	return "", false
}

func allEmpty(vals []any) bool {
	for _, v := range vals {
		if !isEmpty(v) {
			return false
		}
	}
	return true
}

func quoteTitles(cols []Column) string {
	var b strings.Builder
	b.WriteString("[")
	n := 0
	for _, c := range cols {
		if c.Title == "" {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + c.Title + `"`)
		n++
	}
	b.WriteString("]")
	return b.String()
}

// fitsMappingType reports whether an inferred type already gives the mapping what it reads
// as mt: a percentage or an amount is a number, a date is a time at midnight and a
// date-time has a calendar date.
func fitsMappingType(inferred, mt Type) bool {
	switch mt {
	case TypeNumber:
		return inferred == TypeNumber || inferred == TypePercent || inferred == TypeCurrency
	case TypeDate, TypeDateTime:
		return inferred == TypeDate || inferred == TypeDateTime
	}
	return inferred == mt
}
