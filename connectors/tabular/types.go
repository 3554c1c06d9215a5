// Package tabular is the core shared by the spreadsheet-like connectors (Google Sheets,
// Smartsheet): typed columns, keyed rows, snapshot diffs against the stored state, and the
// record payload shape that mappings read with `column: Title`.
//
// A connector reads a tab (or sheet) into a Table of raw values, calls Build to type and key
// it, Compare to diff it against what the warehouse holds, and Payload to encode each
// changed row. See README.md for the payload shape and the rules.
package tabular

import (
	"fmt"
	"strings"
)

// Type is the value type of a column.
type Type string

const (
	// TypeAuto lets Build infer the type from the column's values (and its hint).
	TypeAuto     Type = ""
	TypeText     Type = "text"
	TypeNumber   Type = "number"
	TypePercent  Type = "percent"  // stored 0–100: a source fraction 0.25 becomes 25
	TypeCurrency Type = "currency" // stored as a plain number, symbol dropped
	TypeDate     Type = "date"     // stored "2006-01-02"
	TypeDateTime Type = "datetime" // stored RFC 3339 in UTC
	TypeBool     Type = "bool"
)

// ParseType reads a type name as written in configuration.
func ParseType(s string) (Type, error) {
	switch t := Type(strings.ToLower(strings.TrimSpace(s))); t {
	case TypeAuto, TypeText, TypeNumber, TypePercent, TypeCurrency, TypeDate, TypeDateTime, TypeBool:
		return t, nil
	case "string":
		return TypeText, nil
	case "boolean", "checkbox":
		return TypeBool, nil
	case "time", "date_time":
		return TypeDateTime, nil
	}
	return "", fmt.Errorf("unknown column type %q (want text, number, percent, currency, date, datetime or bool)", s)
}

// Column is one column of a table.
type Column struct {
	Title string
	// ID is the source's column id when it has one (Smartsheet column id); optional.
	ID string
	// Hint is what the source declares about the column (a Sheets number format, a
	// Smartsheet column type), TypeAuto when it declares nothing. Values decide when the
	// hint is absent.
	Hint Type
	// Type is the column's final type: fixed by configuration before Build, or inferred by it.
	Type Type
	// Fixed marks a type set by configuration (the mapping): Build never overrides it.
	Fixed bool
}

// TableRef names the table a row comes from.
type TableRef struct {
	ID    string // spreadsheet id, Smartsheet sheet id
	Name  string // spreadsheet or sheet name
	Tab   string // tab title (Sheets); empty for Smartsheet
	TabID string // tab id (Sheets gid); empty for Smartsheet
	URL   string // link to the table in its tool
}

// String names the table for messages: `spreadsheet "Name" (id) tab "Tab"`.
func (r TableRef) String() string {
	s := fmt.Sprintf("%q (%s)", r.Name, r.ID)
	if r.Name == "" {
		s = r.ID
	}
	if r.Tab != "" {
		s += fmt.Sprintf(" tab %q", r.Tab)
	}
	return s
}

// RawRow is one data row as read: values in column order, trailing empties may be missing.
// Values are decoded JSON: float64 (or json.Number), string, bool, or nil.
type RawRow struct {
	Number int    // the row number the user sees (1-based)
	ID     string // the source's row id when it has one (Smartsheet); optional
	Values []any
}

// Table is one tab (or sheet) as read from the source.
type Table struct {
	Ref     TableRef
	Columns []Column
	Rows    []RawRow
}

// ProblemKind says what is wrong with a row or cell.
type ProblemKind string

const (
	ProblemEmptyKey     ProblemKind = "empty_key"
	ProblemDuplicateKey ProblemKind = "duplicate_key"
	ProblemTypeMismatch ProblemKind = "type_mismatch"
	ProblemEmptyTitle   ProblemKind = "empty_title"
	ProblemDuplicateCol ProblemKind = "duplicate_column"
)

// Problem is something a user should fix in the sheet; it never fails a sync.
type Problem struct {
	Kind   ProblemKind
	Table  TableRef
	Row    int    // 0 for column-level problems
	Column string // column title
	Value  string // the offending value, as text
	Detail string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Table.String())
	if p.Row > 0 {
		fmt.Fprintf(&b, " row %d", p.Row)
	}
	if p.Column != "" {
		fmt.Fprintf(&b, " column %q", p.Column)
	}
	fmt.Fprintf(&b, ": %s", p.Kind)
	if p.Value != "" {
		fmt.Fprintf(&b, " %q", truncate(p.Value, 80))
	}
	if p.Detail != "" {
		fmt.Fprintf(&b, ": %s", p.Detail)
	}
	return b.String()
}

// SchemaError is a table that cannot be read as configured (a missing key column, a
// missing header): the caller must stop and keep the stored data.
type SchemaError struct {
	Table  TableRef
	Column string
	Detail string
}

func (e *SchemaError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("%s: column %q: %s", e.Table, e.Column, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Table, e.Detail)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
