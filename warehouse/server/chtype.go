package server

import "strings"

// chType is a ClickHouse type name as the server reports it, parsed just enough to render
// values the way ClickHouse would: wrappers (Nullable, LowCardinality) and containers
// (Array, Map, Tuple) expose their element types; everything else keeps its raw arguments.
type chType struct {
	name   string    // Array, Map, Tuple, Nullable, String, DateTime64, …
	args   []string  // top-level arguments, trimmed
	elems  []*chType // parsed element types for Array, Map, Tuple, Nullable, LowCardinality
	fields []string  // Tuple element names; empty for an unnamed tuple
}

// parseType never fails: an unparsable type keeps its whole text as the name, which
// renders as a plain value.
func parseType(s string) *chType {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return &chType{name: s}
	}
	t := &chType{name: strings.TrimSpace(s[:open]), args: splitTopLevel(s[open+1 : len(s)-1])}
	switch t.name {
	case "Array", "Nullable", "LowCardinality", "Map":
		for _, a := range t.args {
			t.elems = append(t.elems, parseType(a))
		}
	case "Tuple":
		for _, a := range t.args {
			name, typ := splitTupleField(a)
			t.fields = append(t.fields, name)
			t.elems = append(t.elems, parseType(typ))
		}
		named := false
		for _, f := range t.fields {
			named = named || f != ""
		}
		if !named {
			t.fields = nil
		}
	}
	return t
}

// splitTopLevel splits on commas outside parentheses and quotes.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" || len(parts) > 0 {
		parts = append(parts, rest)
	}
	return parts
}

// splitTupleField separates "name Type" from a bare "Type" inside Tuple(...).
func splitTupleField(s string) (name, typ string) {
	if strings.HasPrefix(s, "`") {
		if end := strings.IndexByte(s[1:], '`'); end >= 0 {
			return s[1 : end+1], strings.TrimSpace(s[end+2:])
		}
	}
	sp := strings.IndexByte(s, ' ')
	if sp < 0 {
		return "", s
	}
	if p := strings.IndexByte(s, '('); p >= 0 && p < sp {
		return "", s // a space inside arguments, e.g. DateTime64(3, 'UTC')
	}
	return s[:sp], strings.TrimSpace(s[sp+1:])
}

// base strips Nullable and LowCardinality wrappers.
func (t *chType) base() *chType {
	for (t.name == "Nullable" || t.name == "LowCardinality") && len(t.elems) == 1 {
		t = t.elems[0]
	}
	return t
}

// elem returns the i-th element type, or an unknown type when the server reported none.
func (t *chType) elem(i int) *chType {
	if t != nil && i < len(t.elems) {
		return t.elems[i]
	}
	return &chType{}
}

// numeric reports whether values of the type are written as bare numbers (and
// right-aligned in Pretty formats).
func (t *chType) numeric() bool {
	n := t.base().name
	for _, p := range []string{"Int", "UInt", "Float", "Decimal", "BFloat"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}
