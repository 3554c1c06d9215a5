package mappings

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

// source produces a field's value before conversion.
type source interface {
	eval(c *rowCtx) val
}

// pathSrc reads the first present, non-empty path.
type pathSrc struct {
	alts []*Path
	pos  Pos    // where it is written, for problems found in stored records
	key  string // its key in the file
	id   int    // its index in a Sample's path counts
}

func (s *pathSrc) eval(c *rowCtx) val {
	if c.obs != nil {
		return c.obs.evalPath(s, c)
	}
	for _, p := range s.alts {
		start := c.root
		if p.Level >= 0 {
			if p.Level >= len(c.elems) {
				continue
			}
			start = c.elems[p.Level]
		}
		if v := get(start, p.Segs); !isEmpty(v) {
			return rawVal(v)
		}
	}
	return val{}
}

// columnSrc reads a cell of a tabular record by column title.
type columnSrc struct{ titles []string }

func (s columnSrc) eval(c *rowCtx) val {
	root, _ := c.root.(map[string]any)
	cells, ok := root["cells"].(map[string]any)
	if !ok {
		return val{}
	}
	for _, title := range s.titles {
		v, ok := cells[title]
		if !ok {
			want := strings.TrimSpace(title)
			for k, cv := range cells {
				if strings.EqualFold(strings.TrimSpace(k), want) {
					v, ok = cv, true
					break
				}
			}
		}
		if !ok {
			continue
		}
		// A connector may keep cells as objects ({value, displayValue, ...}).
		if m, isObj := v.(map[string]any); isObj {
			if inner, has := m["value"]; has {
				v = inner
			}
		}
		return rawVal(v)
	}
	return val{}
}

// fromSrc reads another field of the row, already computed.
type fromSrc struct {
	name string
	idx  int
}

func (s *fromSrc) eval(c *rowCtx) val { return c.vals[s.idx] }

// constSrc is a constant.
type constSrc struct{ v val }

func (s constSrc) eval(*rowCtx) val { return s.v }

// lookupSrc reads path from the record of another stream whose key equals by.
type lookupSrc struct {
	stream string
	ix     *lookupIndex
	path   []seg
	by     source
}

func (s *lookupSrc) eval(c *rowCtx) val {
	b := s.by.eval(c)
	if b.empty() {
		return val{}
	}
	k := b.text()
	rec, ok := s.ix.records[k]
	if !ok {
		if s.ix.loaded {
			c.problem(c.field, "lookup: no "+s.stream+" record with "+s.ix.keyName()+" "+quote(k))
		}
		return val{}
	}
	return rawVal(get(rec, s.path))
}

// txSrc is first_transition/last_transition: the time of the earliest (latest) matching
// transition derived from the same record.
type txSrc struct {
	last  bool
	cats  []string
	vals  []string
	field string
	when  *cond // the records (workflows) the rule is for; nil: all
}

func (s *txSrc) eval(c *rowCtx) val {
	if s.when != nil && !s.when.holds(c) {
		return val{}
	}
	var best time.Time
	for _, tx := range c.txs {
		if s.field != "" && tx.field != s.field {
			continue
		}
		if len(s.cats) > 0 && !slices.Contains(s.cats, tx.toCategory) {
			continue
		}
		if len(s.vals) > 0 && !containsFold(s.vals, tx.toValue) {
			continue
		}
		if best.IsZero() || (s.last && tx.at.After(best)) || (!s.last && tx.at.Before(best)) {
			best = tx.at
		}
	}
	if best.IsZero() {
		return val{}
	}
	return val{k: vTime, t: best}
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// cond is a compiled where condition.
type cond struct {
	src     source
	from    string
	op      condOp
	text    string
	in      []string
	present bool
	re      *regexp.Regexp
	pos     Pos
}

type condOp uint8

const (
	opEquals condOp = iota
	opNotEquals
	opIn
	opPresent
	opMatches
	opTrue // an expression that gives true
)

func (cd *cond) holds(c *rowCtx) bool {
	v := cd.src.eval(c)
	if cd.op == opTrue {
		return v.k == vBool && v.b
	}
	if cd.op == opPresent {
		return v.empty() != cd.present
	}
	s := v.text()
	switch cd.op {
	case opEquals:
		return s == cd.text
	case opNotEquals:
		return s != cd.text
	case opIn:
		return slices.Contains(cd.in, s)
	case opMatches:
		return !v.empty() && cd.re.MatchString(s)
	}
	return false
}

// A column is required when a field's own source is `column:` with one title and the
// field has no fallback and no default: a mapping that names it expects every table its
// entity maps to have it. Several titles, a fallback or a default make it optional (the
// built-in mappings guess columns by title this way).
func (f *cfield) requiredColumn() (string, bool) {
	cs, ok := f.src.(columnSrc)
	if !ok || len(cs.titles) != 1 || f.def != nil {
		return "", false
	}
	return cs.titles[0], true
}

// hasColumn reports whether cells has the title, matched as columnSrc matches it.
func hasColumn(cells map[string]any, title string) bool {
	if _, ok := cells[title]; ok {
		return true
	}
	want := strings.TrimSpace(title)
	for k := range cells {
		if strings.EqualFold(strings.TrimSpace(k), want) {
			return true
		}
	}
	return false
}

// missingColumn is a required column a record's cells lack.
type missingColumn struct {
	column, key string
	pos         Pos
}

// RequiredColumns lists, sorted, the column titles the mapping requires of stream's
// records (connectors.MappingChecker).
func (mp *Mapper) RequiredColumns(stream string) []string {
	var out []string
	for _, b := range mp.byStream[stream] {
		for _, f := range b.fields {
			if t, ok := f.requiredColumn(); ok && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out
}

// MissingColumns lists the required columns of the entities that map this tabular record
// (their where holds) that its cells lack (connectors.MappingChecker). Safe for
// concurrent use.
func (mp *Mapper) MissingColumns(stream string, payload json.RawMessage) []connectors.MissingColumn {
	miss := mp.missingColumns(stream, payload)
	out := make([]connectors.MissingColumn, len(miss))
	for i, m := range miss {
		out[i] = connectors.MissingColumn{Column: m.column, Key: m.key, Pos: m.pos.String()}
	}
	return out
}

func (mp *Mapper) missingColumns(stream string, payload []byte) []missingColumn {
	blocks := mp.byStream[stream]
	if len(blocks) == 0 {
		return nil
	}
	root, err := mp.plans[stream].decode(payload)
	if err != nil {
		return nil
	}
	obj, _ := root.(map[string]any)
	cells, ok := obj["cells"].(map[string]any)
	if !ok {
		return nil // not a tabular record
	}
	var probs []Problem
	c := &rowCtx{mp: mp, rec: &Record{Stream: stream}, root: root, probs: &probs}
	var out []missingColumn
	for _, b := range blocks {
		if !b.applies(c) {
			continue
		}
		for _, f := range b.fields {
			if t, ok := f.requiredColumn(); ok && !hasColumn(cells, t) {
				out = append(out, missingColumn{column: t, key: "entities." + b.name + ".fields." + f.name + ".column", pos: f.pos})
			}
		}
	}
	return out
}

// applies reports whether b's payload conditions hold for the record (for one element of
// its each, if it has one): whether b maps it at all.
func (b *block) applies(c *rowCtx) bool {
	c.block = b
	holds := func() bool {
		for _, cd := range b.pre {
			if !cd.holds(c) {
				return false
			}
		}
		return true
	}
	if len(b.each) == 0 {
		c.elems = nil
		return holds()
	}
	found := false
	elems := make([]any, b.levels)
	for _, groups := range b.each {
		iterate(c.root, groups, 0, elems, func(e []any) {
			if !found {
				c.elems = e
				found = holds()
			}
		})
	}
	c.elems = nil
	return found
}

// ColumnTypes gives, per column title a field reads by `column:` (alternatives and
// fallbacks included), the type the field converts it to when that type says more than
// text: number, date, time or bool (connectors.MappingChecker). A tabular connector uses
// it as the column's type. Titles read with two different such types are left out.
func (mp *Mapper) ColumnTypes(stream string) map[string]string {
	out := map[string]string{}
	byNorm := map[string]string{} // normalized title → the title as first written
	clash := map[string]bool{}
	for _, b := range mp.byStream[stream] {
		for _, f := range b.fields {
			switch f.typ {
			case typeNumber, typeDate, typeTime, typeBool:
			default:
				continue
			}
			name := f.typ.String()
			for _, t := range ownColumns(f.src) {
				n := strings.ToLower(strings.TrimSpace(t))
				if clash[n] {
					continue
				}
				if first, seen := byNorm[n]; seen {
					if out[first] != name {
						delete(out, first)
						clash[n] = true
					}
					continue
				}
				byNorm[n] = t
				out[t] = name
			}
		}
	}
	return out
}

// ownColumns lists the titles a field's value comes from as is: its column source and
// its fallbacks' (a template or expression only quotes a column inside other text).
func ownColumns(s source) []string {
	switch x := s.(type) {
	case columnSrc:
		return x.titles
	case *fallbackSrc:
		return append(ownColumns(x.first), ownColumns(x.then)...)
	}
	return nil
}

// ColumnTitles lists, sorted and case-insensitively unique, every column title the
// mapping reads of stream's records: `column:` sources with their alternatives and
// fallbacks, `{column:…}` placeholders, where conditions and expressions' cells["…"]
// (connectors.MappingChecker). Other columns reach canonical rows only through a
// `columns: rest` source.
func (mp *Mapper) ColumnTitles(stream string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		n := strings.ToLower(strings.TrimSpace(t))
		if !seen[n] {
			seen[n] = true
			out = append(out, t)
		}
	}
	for _, b := range mp.byStream[stream] {
		for _, t := range blockColumns(b) {
			add(t)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

// ExactHistory lists the column titles whose exact change history blocks reading stream
// ask the connector for (exact_history; connectors.MappingChecker).
func (mp *Mapper) ExactHistory(stream string) []string {
	var out []string
	for _, b := range mp.byStream[stream] {
		out = append(out, b.exact...)
	}
	return out
}

// blockColumns lists the column titles one block reads (with repeats).
func blockColumns(b *block) []string {
	var out []string
	add := func(t string) { out = append(out, t) }
	visit := func(s source) {
		walkSrc(s, func(s source) {
			switch x := s.(type) {
			case columnSrc:
				for _, t := range x.titles {
					add(t)
				}
			case *exprSrc:
				for _, p := range x.payloadPaths {
					if len(p) >= 2 && p[0].kind == segKey && p[0].key == "cells" && p[1].kind == segKey {
						add(p[1].key)
					}
				}
			}
		})
	}
	for _, cd := range append(slices.Clone(b.pre), b.post...) {
		if cd.src != nil {
			visit(cd.src)
		}
	}
	for _, f := range b.fields {
		visit(f.src)
		for _, sc := range f.scopes {
			if sc.cond != nil && sc.cond.src != nil {
				visit(sc.cond.src)
			}
		}
	}
	return out
}
