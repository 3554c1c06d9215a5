package server

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrUnsupportedFormat is returned (wrapped) by Query for an output format this backend
// cannot render; the native protocol returns typed rows, so formats are rendered here.
var ErrUnsupportedFormat = errors.New("unsupported output format")

// SupportedFormats are the output formats Query renders.
var SupportedFormats = []string{"JSONEachRow", "JSON", "CSV", "CSVWithNames", "TabSeparated", "TSV", "TabSeparatedWithNames", "TSVWithNames", "PrettyCompact"}

// result is a whole query result: column names and types and the rows as nodes.
type result struct {
	names []string
	types []string // as the server spells them
	typ   []*chType
	rows  [][]node
}

// prettyEscaper keeps each table row on one line (ClickHouse wraps the cell instead).
var prettyEscaper = strings.NewReplacer("\n", `\n`)

type renderFunc func(*bytes.Buffer, *result)

// formatFor maps a format name (case-insensitive, with ClickHouse's aliases) to its writer.
func formatFor(name string) (renderFunc, error) {
	switch strings.ToLower(name) {
	case "", "tabseparated", "tsv":
		return func(b *bytes.Buffer, r *result) { writeTSV(b, r, false) }, nil
	case "tabseparatedwithnames", "tsvwithnames":
		return func(b *bytes.Buffer, r *result) { writeTSV(b, r, true) }, nil
	case "csv":
		return func(b *bytes.Buffer, r *result) { writeCSV(b, r, false) }, nil
	case "csvwithnames":
		return func(b *bytes.Buffer, r *result) { writeCSV(b, r, true) }, nil
	case "jsoneachrow", "jsonlines", "ndjson":
		return writeJSONEachRow, nil
	case "json":
		return writeJSON, nil
	case "prettycompact":
		return writePrettyCompact, nil
	}
	return nil, fmt.Errorf("%w %q with a ClickHouse server (supported: %s)", ErrUnsupportedFormat, name, strings.Join(SupportedFormats, ", "))
}

func writeTSV(b *bytes.Buffer, r *result, names bool) {
	if names {
		for i, n := range r.names {
			if i > 0 {
				b.WriteByte('\t')
			}
			writeEscaped(b, n, 0)
		}
		b.WriteByte('\n')
	}
	for _, row := range r.rows {
		for i := range row {
			if i > 0 {
				b.WriteByte('\t')
			}
			switch n := &row[i]; {
			case n.kind == kNull:
				b.WriteString(`\N`)
			case n.kind == kString:
				writeEscaped(b, n.text, '\'')
			default:
				writeQuoted(b, n)
			}
		}
		b.WriteByte('\n')
	}
}

func writeCSV(b *bytes.Buffer, r *result, names bool) {
	if names {
		for i, n := range r.names {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCSVString(b, n)
		}
		b.WriteByte('\n')
	}
	var tmp bytes.Buffer
	for _, row := range r.rows {
		for i := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			switch n := &row[i]; {
			case n.kind == kNull:
				b.WriteString(`\N`)
			case n.kind == kString:
				writeCSVString(b, n.text)
			case n.composite():
				tmp.Reset()
				writeQuoted(&tmp, n)
				writeCSVString(b, tmp.String())
			default:
				b.WriteString(n.text)
			}
		}
		b.WriteByte('\n')
	}
}

func writeCSVString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(s, `"`, `""`))
	b.WriteByte('"')
}

func writeJSONEachRow(b *bytes.Buffer, r *result) {
	for _, row := range r.rows {
		b.WriteByte('{')
		for i := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, r.names[i])
			b.WriteByte(':')
			writeJSONValue(b, &row[i])
		}
		b.WriteString("}\n")
	}
}

// writeJSON follows ClickHouse's JSON layout (meta, data, rows), without statistics.
func writeJSON(b *bytes.Buffer, r *result) {
	b.WriteString("{\n\t\"meta\":\n\t[")
	for i := range r.names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n\t\t{\n\t\t\t\"name\": ")
		writeJSONString(b, r.names[i])
		b.WriteString(",\n\t\t\t\"type\": ")
		writeJSONString(b, r.types[i])
		b.WriteString("\n\t\t}")
	}
	b.WriteString("\n\t],\n\n\t\"data\":\n\t[")
	for j, row := range r.rows {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n\t\t{")
		for i := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n\t\t\t")
			writeJSONString(b, r.names[i])
			b.WriteString(": ")
			writeJSONValue(b, &row[i])
		}
		b.WriteString("\n\t\t}")
	}
	if len(r.rows) == 0 {
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "\n\t],\n\n\t\"rows\": %d\n}\n", len(r.rows))
}

// writePrettyCompact draws ClickHouse's PrettyCompact table: numbers right-aligned, rows
// numbered, NULL as ᴺᵁᴸᴸ; an empty result prints nothing, as ClickHouse does.
func writePrettyCompact(b *bytes.Buffer, r *result) {
	if len(r.rows) == 0 {
		return
	}
	cells := make([][]string, len(r.rows))
	width := make([]int, len(r.names))
	for i, n := range r.names {
		width[i] = utf8.RuneCountInString(n)
	}
	var tmp bytes.Buffer
	for j, row := range r.rows {
		cells[j] = make([]string, len(row))
		for i := range row {
			n := &row[i]
			var s string
			switch {
			case n.kind == kNull:
				s = "ᴺᵁᴸᴸ"
			case n.composite():
				tmp.Reset()
				writeQuoted(&tmp, n)
				s = tmp.String()
			default:
				s = prettyEscaper.Replace(n.text)
			}
			cells[j][i] = s
			width[i] = max(width[i], utf8.RuneCountInString(s))
		}
	}
	gutter := len(strconv.Itoa(len(r.rows))) + 2 // "12. "
	pad := func(n int, c string) { b.WriteString(strings.Repeat(c, max(n, 0))) }
	pad(gutter, " ")
	b.WriteString("┌")
	for i, name := range r.names {
		if i > 0 {
			b.WriteString("┬")
		}
		fill := width[i] - utf8.RuneCountInString(name)
		b.WriteString("─")
		if r.typ[i].numeric() {
			pad(fill, "─")
			b.WriteString(name)
		} else {
			b.WriteString(name)
			pad(fill, "─")
		}
		b.WriteString("─")
	}
	b.WriteString("┐\n")
	for j, row := range cells {
		num := strconv.Itoa(j+1) + ". "
		pad(gutter-len(num), " ")
		b.WriteString(num)
		b.WriteString("│")
		for i, s := range row {
			if i > 0 {
				b.WriteString("│")
			}
			fill := width[i] - utf8.RuneCountInString(s)
			b.WriteByte(' ')
			if r.typ[i].numeric() {
				pad(fill, " ")
				b.WriteString(s)
			} else {
				b.WriteString(s)
				pad(fill, " ")
			}
			b.WriteByte(' ')
		}
		b.WriteString("│\n")
	}
	pad(gutter, " ")
	b.WriteString("└")
	for i := range r.names {
		if i > 0 {
			b.WriteString("┴")
		}
		pad(width[i]+2, "─")
	}
	b.WriteString("┘\n")
}
