package mappings

import (
	"encoding/json"
	"strings"
	"time"
	"unsafe"

	"github.com/pmohub/pmohub/warehouse"
)

// Record is a raw record to map.
type Record struct {
	Stream, NativeID string
	Payload          json.RawMessage
	// Text, when not empty, is Payload as a string whose bytes are never written again
	// (a page read from the raw layer): rows then share it instead of a copy per record.
	Text string
}

// Row is one canonical row: Values are in the order of Table.Columns with the Go types of
// warehouse.Row; Key is the entity key values joined with "\x00" (Table.Key order).
type Row struct {
	Table  *warehouse.Table
	Key    string
	Values []any
	Shared bool // from an entity marked shared (people by default): never deleted by diff
}

// Problem is a mapping problem at run time (a value that did not convert, a row without
// its key): counted and reported, never fatal.
type Problem struct{ Entity, Field, NativeID, Message string }

// Streams returns the streams the mapping's entities read.
func (mp *Mapper) Streams() []string { return append([]string(nil), mp.streams...) }

// LookupStreams returns the streams used by lookup:.
func (mp *Mapper) LookupStreams() []string { return append([]string(nil), mp.lkStreams...) }

// rowCtx is the state of one row being computed.
type rowCtx struct {
	mp     *Mapper
	rec    *Record
	root   any
	elems  []any
	vals   []val
	txs    []txRow
	probs  *[]Problem
	obs    *Sample // set while sampling (preview, validate against data); nil in syncs
	block  *block
	field  string        // the field being computed, for problems
	arrays *recordArrays // the record's values (box.go)
	// text holds the record's rendered templates: one array for many texts, each a view
	// of its part; a full array is left to its texts and a new one started, never reused.
	text  []byte
	memos *exprMemos // the worker's expression results (exprmemo.go); nil: none
}

// join renders texts (n bytes in all) into the record's text array.
func (c *rowCtx) join(texts []string, n int) string {
	if n == 0 {
		return ""
	}
	if cap(c.text)-len(c.text) < n {
		c.text = make([]byte, 0, max(512, n))
	}
	start := len(c.text)
	for _, s := range texts {
		c.text = append(c.text, s...)
	}
	return unsafe.String(&c.text[start], n)
}

type txRow struct {
	at                         time.Time
	field, toValue, toCategory string
}

func (c *rowCtx) problem(field, msg string) {
	*c.probs = append(*c.probs, Problem{Entity: c.block.name, Field: field, NativeID: c.rec.NativeID, Message: msg})
}

// Map maps one record into rows of every entity that reads its stream. It never fails the
// sync: problems are returned and the field is left empty.
func (mp *Mapper) Map(rec Record) ([]Row, []Problem) { return mp.mapRecord(rec, nil) }

func (mp *Mapper) mapRecord(rec Record, obs *Sample) ([]Row, []Problem) {
	blocks, plan := mp.byStream[rec.Stream], mp.plans[rec.Stream]
	if obs != nil && obs.errOnly {
		blocks, plan = mp.errBlocks[rec.Stream], mp.errPlans[rec.Stream]
	}
	if len(blocks) == 0 {
		return nil, nil
	}
	var probs []Problem
	a, _ := mp.arenas.Get().(*decodeArena)
	if a == nil {
		a = &decodeArena{}
	}
	defer func() { a.release(); mp.arenas.Put(a) }()
	root, err := plan.decodeText(rec.Payload, rec.Text, a)
	if err != nil {
		return nil, []Problem{{Entity: blocks[0].name, NativeID: rec.NativeID, Message: "payload is not valid JSON: " + err.Error()}}
	}
	c := &rowCtx{mp: mp, rec: &rec, root: root, probs: &probs, obs: obs, vals: a.vals, arrays: &a.values, memos: &a.memos}
	defer func() { a.vals = c.vals[:cap(c.vals)] }() // before the release above: keeps what grew
	rows := make([]Row, 0, len(blocks)+4)
	for _, b := range blocks {
		c.block = b
		if cap(c.vals) < len(b.fields) {
			c.vals = make([]val, len(b.fields))
		}
		c.vals = c.vals[:len(b.fields)]
		start := len(rows)
		emit := func(elems []any) {
			c.elems = elems
			if r, ok := b.row(c); ok {
				for _, prev := range rows[start:] {
					if prev.Key == r.Key {
						return // the same row twice from one record (one person, two roles)
					}
				}
				rows = append(rows, r)
				if b.table == warehouse.Transitions {
					c.txs = append(c.txs, b.txRow(r))
				}
			}
		}
		if len(b.each) == 0 {
			emit(nil)
		} else {
			elems := make([]any, b.levels)
			for _, groups := range b.each {
				iterate(root, groups, 0, elems, emit)
			}
		}
		if obs != nil {
			obs.blockRows[b] += len(rows) - start
		}
	}
	return rows, probs
}

// iterate calls fn with the elements of every level of an each path.
func iterate(v any, groups [][]seg, level int, elems []any, fn func([]any)) {
	v = get(v, groups[level])
	if len(groups) == 1 { // no [*]: the value itself is the one element
		if v != nil {
			elems[0] = v
			fn(elems)
		}
		return
	}
	l, ok := v.([]any)
	if !ok {
		return
	}
	last := level == len(groups)-2
	for _, e := range l {
		if last {
			if e = get(e, groups[level+1]); e == nil {
				continue
			}
			elems[level] = e
			fn(elems)
			continue
		}
		elems[level] = e
		iterate(e, groups, level+1, elems, fn)
	}
}

// row computes one row of b, or reports why there is none.
func (b *block) row(c *rowCtx) (Row, bool) {
	for _, cd := range b.pre {
		if !cd.holds(c) {
			return Row{}, false
		}
	}
	mask := c.obs.mask(b)
	for i, f := range b.fields {
		if mask != nil && !mask[i] {
			c.vals[i] = val{}
			continue
		}
		c.field = f.name
		c.vals[i] = f.compute(c)
	}
	if c.obs != nil && c.obs.errOnly {
		return Row{}, false // its fields' problems are all it is for
	}
	for _, cd := range b.post {
		if !cd.holds(c) {
			return Row{}, false
		}
	}
	t := b.table
	values := make([]any, len(t.Columns))
	for i := range t.Columns {
		fi := b.colField[i]
		v := val{}
		if fi >= 0 {
			v = c.vals[fi]
		}
		values[i] = goValue(c.arrays, b.colKinds[i], v)
	}
	for _, d := range b.defaults {
		if d.kind == tNativeID {
			values[d.col] = c.arrays.text(c.rec.NativeID)
		} else {
			values[d.col] = c.mp.sourceKind // boxed once
		}
	}
	if pc := b.canon; pc.canonical >= 0 {
		id, _ := values[pc.id].(string)
		email, _ := values[pc.email].(string)
		values[pc.canonical] = c.mp.canonicalFor(id, email)
	}
	if b.attrCol >= 0 && len(b.attrs) > 0 {
		m := values[b.attrCol].(map[string]string)
		for _, fi := range b.attrs {
			if s := c.vals[fi].text(); s != "" {
				m[b.fields[fi].attr] = s
			}
		}
	}
	var parts [4]string
	keys, size := parts[:0], 0
	for _, kc := range b.keyCols {
		s, _ := values[kc].(string)
		if s == "" {
			c.problem(t.Columns[kc].Name, "row skipped: its key "+t.Columns[kc].Name+" is empty")
			return Row{}, false
		}
		keys, size = append(keys, s), size+len(s)+1
	}
	key := ""
	if len(keys) == 1 { // one key column (most tables): the value itself
		key = keys[0]
	} else if len(keys) > 1 {
		var sb strings.Builder
		sb.Grow(size)
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(0)
			}
			sb.WriteString(k)
		}
		key = sb.String()
	}
	for _, rc := range b.required {
		if values[rc].(time.Time).IsZero() {
			c.problem(t.Columns[rc].Name, "row skipped: "+t.Columns[rc].Name+" is empty")
			return Row{}, false
		}
	}
	return Row{Table: t, Key: key, Values: values, Shared: b.shared}, true
}

func (b *block) txRow(r Row) txRow {
	tx := txRow{}
	tx.at, _ = r.Values[b.txCols.at].(time.Time)
	tx.field, _ = r.Values[b.txCols.field].(string)
	tx.toValue, _ = r.Values[b.txCols.toValue].(string)
	tx.toCategory, _ = r.Values[b.txCols.toCategory].(string)
	return tx
}

// goValue gives a value the Go type of its column (see warehouse.Row).
func goValue(rv *recordArrays, k colKind, v val) any {
	switch k {
	case cTime:
		if v.k == vTime || v.k == vDate {
			return rv.time(v.t)
		}
		return time.Time{}
	case cTimeNull:
		if v.k == vTime || v.k == vDate {
			return rv.timePtr(v.t)
		}
		return (*time.Time)(nil)
	case cDate:
		if v.k == vTime || v.k == vDate {
			return rv.timePtr(dateOf(v.t))
		}
		return (*time.Time)(nil)
	case cFloat:
		if v.k == vNumber {
			return rv.numPtr(v.f)
		}
		return (*float64)(nil)
	case cList:
		if v.k == vList && v.l != nil {
			return rv.textList(v.l)
		}
		return []string{}
	case cMap:
		m := make(map[string]string, len(v.m))
		for k, s := range v.m {
			m[k] = s
		}
		return m
	}
	if v.k == vNone {
		return ""
	}
	return rv.text(v.text())
}

// compute runs a field's pipeline: source, conversion, value map, default.
func (f *cfield) compute(c *rowCtx) val {
	v := f.src.eval(c)
	var sc *scope
	if len(f.scopes) > 0 && !v.empty() {
		sc = f.scopeFor(c)
	}
	if f.hasMap() && f.typ != typeList && !v.empty() {
		// Scalars are mapped by their text before conversion, so that
		// {S: 1, M: 3} can turn sizes into numbers.
		s := v.text()
		if f.trim {
			s = strings.TrimSpace(s)
		}
		to, ok := f.lookupValue(sc, s)
		if !ok && f.def == nil {
			c.problem(f.problem, "value "+quote(s)+" is not in the value map")
		}
		if !ok && c.obs != nil {
			c.obs.unmappedValue(c.block, f, s)
		}
		v = strVal(to)
	}
	v, msg := convert(v, f.typ, f.elem, f.trim)
	if msg != "" {
		c.problem(f.problem, msg)
	}
	if f.hasMap() && f.typ == typeList && !v.empty() {
		v = f.mapList(sc, v)
	}
	if v.empty() && f.def != nil {
		return *f.def
	}
	return v
}

// lookupValue maps s with the scope's map (if any), then the field's own.
func (f *cfield) lookupValue(sc *scope, s string) (string, bool) {
	if sc != nil {
		if to, ok := lookupIn(sc.values, sc.folded, s); ok {
			return to, true
		}
	}
	return lookupIn(f.values, f.folded, s)
}

// mapList maps a list element by element; an unmapped element becomes the default, or
// stays as it is.
func (f *cfield) mapList(sc *scope, v val) val {
	out := make([]string, 0, len(v.l))
	for _, e := range v.l {
		if to, ok := f.lookupValue(sc, e); ok {
			e = to
		} else if f.def != nil {
			e = f.def.text()
		}
		if e != "" {
			out = append(out, e)
		}
	}
	return val{k: vList, l: out}
}

func quote(s string) string { return "\"" + clip(s) + "\"" }
