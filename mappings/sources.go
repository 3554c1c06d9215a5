package mappings

import (
	"regexp"
	"slices"
	"strings"
	"time"
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
}

func (s *txSrc) eval(c *rowCtx) val {
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
