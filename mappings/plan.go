package mappings

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// A payload is decoded once per record, and only the parts the mapping reads: a Jira
// issue is mostly avatars, rendered text and metadata no mapping looks at. The plan is a
// tree of the keys the mapping's paths reach; everything else is scanned (and validated)
// but never allocated. The result has the shapes encoding/json gives with UseNumber.

// plan is the tree of what to keep.
type plan struct {
	all   bool             // keep this whole value
	keys  map[string]*plan // object keys to keep
	elems *plan            // what to keep of every list element
	// byLen holds keys by their length: most keys of a payload are not kept, and a length
	// with no key, or a compare or two, settles them without hashing the key.
	byLen [][]planKey
}

type planKey struct {
	key string
	p   *plan
}

var keepAll = &plan{all: true}

// planFor builds the plan of every payload path the blocks read; errOnly: only their
// fields that an error sample computes (block.errCheck).
func planFor(blocks []*block, errOnly bool) *plan {
	root := &plan{}
	for _, b := range blocks {
		for _, groups := range b.each {
			root.touch(eachPrefix(groups, len(groups)))
		}
		var srcs []source
		for i, f := range b.fields {
			if !errOnly || b.errCheck[i] {
				srcs = append(srcs, f.sources()...)
			}
		}
		for _, cd := range b.pre {
			srcs = append(srcs, cd.src)
		}
		for _, s := range srcs {
			walkSrc(s, func(s source) {
				switch x := s.(type) {
				case *exprSrc:
					if x.wholePayload {
						root.all = true
					}
					for _, p := range x.payloadPaths {
						root.add(p)
					}
					if x.each {
						for _, groups := range b.each {
							for lv := 1; lv <= len(groups); lv++ {
								root.add(eachPrefix(groups, lv))
							}
						}
					}
				case columnSrc, *restSrc:
					root.add([]seg{{kind: segKey, key: "cells"}})
				case *pathSrc:
					for _, p := range x.alts {
						if p.Level < 0 {
							root.add(p.Segs)
							continue
						}
						for _, groups := range b.each {
							pre := eachPrefix(groups, p.Level+1)
							root.add(append(pre, p.Segs...))
						}
					}
				}
			})
		}
	}
	root.index()
	return root
}

// index fills byLen in the whole tree.
func (p *plan) index() {
	if p == nil || p.all {
		return
	}
	p.byLen = nil
	for k, c := range p.keys {
		for len(p.byLen) <= len(k) {
			p.byLen = append(p.byLen, nil)
		}
		p.byLen[len(k)] = append(p.byLen[len(k)], planKey{k, c})
		c.index()
	}
	p.elems.index()
}

// find is the plan of an object key (its plain bytes), nil when it is not kept.
func (p *plan) find(key []byte) *plan {
	if len(key) >= len(p.byLen) {
		if p.byLen == nil && p.keys != nil {
			return p.keys[string(key)] // a plan not indexed
		}
		return nil
	}
	for _, k := range p.byLen[len(key)] {
		if string(key) == k.key {
			return k.p
		}
	}
	return nil
}

// eachPrefix is the path from the root to an element of each level (0-based) < n.
func eachPrefix(groups [][]seg, n int) []seg {
	var out []seg
	if len(groups) == 1 {
		return append(out, groups[0]...)
	}
	for i := 0; i < n && i < len(groups)-1; i++ {
		out = append(out, groups[i]...)
		out = append(out, seg{kind: segAll})
	}
	if n >= len(groups)-1 {
		out = append(out, groups[len(groups)-1]...)
	}
	return out
}

// add marks a path to keep; its end is kept whole.
func (p *plan) add(segs []seg) {
	if n := p.touch(segs); n != nil {
		*n = plan{all: true}
	}
}

// touch marks a path to keep without its contents (an object ends as the keys other paths
// keep, possibly none, so that each still sees it is there). It returns the end's plan,
// nil when an enclosing value is kept whole anyway.
func (p *plan) touch(segs []seg) *plan {
	n := p
	for _, s := range segs {
		if n.all {
			return nil
		}
		if s.kind == segKey {
			if n.keys == nil {
				n.keys = map[string]*plan{}
			}
			c, ok := n.keys[s.key]
			if !ok {
				c = &plan{}
				n.keys[s.key] = c
			}
			n = c
			continue
		}
		if n.elems == nil {
			n.elems = &plan{}
		}
		n = n.elems
	}
	if n.all {
		return nil
	}
	return n
}

func (p *plan) decode(data []byte) (any, error) { return p.decodeText(data, "", nil) }

// decodeText decodes with the objects' maps taken from a (nil: new maps). text is data
// as a string that is never written again, or empty: the decoder copies data.
func (p *plan) decodeText(data []byte, text string, a *decodeArena) (any, error) {
	if len(text) != len(data) {
		text = string(data)
	}
	s := scanner{data: data, whole: text, arena: a}
	v, err := s.value(p, 0)
	if err != nil {
		return nil, err
	}
	s.ws()
	if s.i != len(s.data) {
		return nil, fmt.Errorf("trailing data at offset %d", s.i)
	}
	return v, nil
}

// scanner is a JSON reader that decodes only what its plan keeps.
type scanner struct {
	data []byte
	// whole is data as one string: kept texts are substrings of it, one allocation per
	// payload instead of one per text.
	whole string
	i     int
	arena *decodeArena
}

// decodeArena recycles the maps of decoded payloads. A record's decoded tree is garbage
// once its rows are made (rows hold copies of what they read: texts, lists and maps of
// their own), so the next record mapped reuses its maps instead of allocating some 10 KB
// of them for a Jira issue; that was half of the mapper's allocation.
type decodeArena struct {
	free, used []map[string]any
	// values holds the record's decoded texts and arrays and its rows' values (box.go).
	values recordArrays
	stack  []any // elements of the arrays being read (reused)
	// vals are the field values of the row being computed (rowCtx.vals), reused too: a
	// Jira issue's work item has some 35 fields of ~100 bytes each.
	vals []val
	// memos outlive records: results of expressions by their inputs (exprmemo.go).
	memos exprMemos
}

func (a *decodeArena) newMap(hint int) map[string]any {
	var m map[string]any
	if n := len(a.free); n > 0 {
		m, a.free = a.free[n-1], a.free[:n-1]
	} else {
		m = make(map[string]any, hint)
	}
	a.used = append(a.used, m)
	return m
}

// release makes every map handed out since the last release free again; nothing decoded
// since may be used after it.
func (a *decodeArena) release() {
	for _, m := range a.used {
		clear(m)
	}
	a.free = append(a.free, a.used...)
	a.used = a.used[:0]
	a.values.reset()
	clear(a.stack) // a payload that failed mid-array leaves elements behind
	a.stack = a.stack[:0]
	clear(a.vals) // keep no texts of this record alive
}

// emptyList is every decoded empty array (nothing appends to a decoded list).
var emptyList any = []any{}

// list moves the stack's elements from base into the record's arrays (recordArrays.list)
// and gives them as a []any.
func (a *decodeArena) list(base int) any {
	v := a.values.list(a.stack[base:])
	clear(a.stack[base:])
	a.stack = a.stack[:base]
	return v
}

const maxDepth = 10000 // as encoding/json

var errEOF = errors.New("unexpected end of JSON input")

func (s *scanner) syntax(what string) error {
	if s.i >= len(s.data) {
		return errEOF
	}
	return fmt.Errorf("invalid character %q %s at offset %d", s.data[s.i], what, s.i)
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one value; with a nil plan it is skipped and nil returned.
func (s *scanner) value(p *plan, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("exceeded max depth")
	}
	s.ws()
	if s.i >= len(s.data) {
		return nil, errEOF
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(p, depth)
	case c == '[':
		return s.array(p, depth)
	case c == '"':
		if p == nil {
			return nil, s.skipStr()
		}
		return s.text()
	case c == '-' || (c >= '0' && c <= '9'):
		start := s.i
		if err := s.number(); err != nil {
			return nil, err
		}
		if p == nil {
			return nil, nil
		}
		return json.Number(s.data[start:s.i]), nil
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	}
	return nil, s.syntax("looking for beginning of value")
}

func (s *scanner) literal(word string) error {
	if len(s.data)-s.i < len(word) || string(s.data[s.i:s.i+len(word)]) != word {
		for j := 0; j < len(word); j++ {
			if s.i >= len(s.data) || s.data[s.i] != word[j] {
				return s.syntax("in literal " + word)
			}
			s.i++
		}
	}
	s.i += len(word)
	return nil
}

func (s *scanner) object(p *plan, depth int) (any, error) {
	s.i++ // {
	var m map[string]any
	if p != nil {
		if s.arena != nil {
			m = s.arena.newMap(min(len(p.keys), 8))
		} else {
			m = make(map[string]any, min(len(p.keys), 8))
		}
	}
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return mapOrNil(m), nil
	}
	for {
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return nil, s.syntax("looking for beginning of object key string")
		}
		var child *plan
		var key string
		if p != nil {
			raw, plain, err := s.str()
			if err != nil {
				return nil, err
			}
			if plain {
				if p.all {
					key, child = s.sub(raw), keepAll
				} else if c := p.find(raw); c != nil {
					key, child = s.sub(raw), c
				}
			} else {
				k, err := unquote(s.data[s.i-len(raw)-2 : s.i])
				if err != nil {
					return nil, err
				}
				key = k
				if p.all {
					child = keepAll
				} else {
					child = p.keys[key]
				}
			}
		} else if err := s.skipStr(); err != nil {
			return nil, err
		}
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return nil, s.syntax("after object key")
		}
		s.i++
		v, err := s.value(child, depth+1)
		if err != nil {
			return nil, err
		}
		if child != nil {
			m[key] = v
		}
		s.ws()
		if s.i >= len(s.data) {
			return nil, errEOF
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return mapOrNil(m), nil
		default:
			return nil, s.syntax("after object key:value pair")
		}
	}
}

// mapOrNil keeps a nil map an untyped nil (a skipped object).
func mapOrNil(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

func (s *scanner) array(p *plan, depth int) (any, error) {
	s.i++ // [
	var elem *plan
	var l []any
	if p != nil {
		elem = p.elems
		if p.all {
			elem = keepAll
		}
		l = []any{}
	}
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		if l == nil {
			return nil, nil
		}
		return emptyList, nil
	}
	a := s.arena
	base := 0
	if a != nil && p != nil {
		base = len(a.stack) // elements gather on the arena's stack, then move to its array
	}
	for {
		v, err := s.value(elem, depth+1)
		if err != nil {
			return nil, err
		}
		if p != nil { // skipped elements stay as nil, so indexes hold
			if a != nil {
				a.stack = append(a.stack, v)
			} else {
				l = append(l, v)
			}
		}
		s.ws()
		if s.i >= len(s.data) {
			return nil, errEOF
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			if l == nil {
				return nil, nil
			}
			if a != nil {
				return a.list(base), nil
			}
			return l, nil
		default:
			return nil, s.syntax("after array element")
		}
	}
}

// str scans a string at s.i and returns its raw content; plain is true when it is ASCII
// without escapes, so its bytes are its text.
func (s *scanner) str() (raw []byte, plain bool, err error) {
	start := s.i + 1
	// Most texts are plain ASCII: find the closing quote with IndexByte and check the span
	// eight bytes at a time; a text with an escape, a control or a non-ASCII byte (or a
	// quote escaped before the one found) takes the loop below.
	if q := bytes.IndexByte(s.data[start:], '"'); q >= 0 && !hasSpecial(s.data[start:start+q], true) {
		s.i = start + q + 1
		return s.data[start : start+q], true, nil
	}
	plain = true
	for j := start; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '"':
			s.i = j + 1
			return s.data[start:j], plain, nil
		case c == '\\':
			plain = false
			j++
			if j >= len(s.data) {
				s.i = j
				return nil, false, errEOF
			}
			switch s.data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 1; k <= 4; k++ {
					if j+k >= len(s.data) {
						s.i = len(s.data)
						return nil, false, errEOF
					}
					if !isHex(s.data[j+k]) {
						s.i = j + k
						return nil, false, s.syntax("in \\u hexadecimal character escape")
					}
				}
				j += 4
			default:
				s.i = j
				return nil, false, s.syntax("in string escape code")
			}
		case c < 0x20:
			s.i = j
			return nil, false, s.syntax("in string literal")
		case c >= 0x80:
			plain = false // not ASCII: the exact (slower) path checks the UTF-8
		}
	}
	s.i = len(s.data)
	return nil, false, errEOF
}

// sub returns raw, a slice of s.data ending at s.i-1, as a substring of s.whole.
func (s *scanner) sub(raw []byte) string {
	end := s.i - 1
	return s.whole[end-len(raw) : end]
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// text decodes a string; escapes and invalid UTF-8 go through encoding/json so the result
// is exactly what it gives.
func (s *scanner) text() (any, error) {
	start := s.i
	raw, plain, err := s.str()
	if err != nil {
		return nil, err
	}
	var t string
	if plain {
		t = s.sub(raw)
	} else if t, err = unquote(s.data[start:s.i]); err != nil {
		return nil, err
	}
	if s.arena != nil {
		return s.arena.values.text(t), nil
	}
	return t, nil
}

// unquote decodes a quoted JSON string the slow, exact way.
func unquote(quoted []byte) (string, error) {
	var out string
	err := json.Unmarshal(quoted, &out)
	return out, err
}

// number scans a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	d := s.data
	if s.i < len(d) && d[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i >= len(d):
		return errEOF
	case d[s.i] == '0':
		s.i++
	case d[s.i] >= '1' && d[s.i] <= '9':
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	default:
		return s.syntax("in numeric literal")
	}
	if s.i < len(d) && d[s.i] == '.' {
		s.i++
		if s.i >= len(d) {
			return errEOF
		}
		if d[s.i] < '0' || d[s.i] > '9' {
			return s.syntax("after decimal point in numeric literal")
		}
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	}
	if s.i < len(d) && (d[s.i] == 'e' || d[s.i] == 'E') {
		s.i++
		if s.i < len(d) && (d[s.i] == '+' || d[s.i] == '-') {
			s.i++
		}
		if s.i >= len(d) {
			return errEOF
		}
		if d[s.i] < '0' || d[s.i] > '9' {
			return s.syntax("in exponent of numeric literal")
		}
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	}
	return nil
}

// skipStr passes over a text the plan does not keep: only where it ends and that it is
// valid JSON matter, so non-ASCII bytes (a description in any language) need no care.
func (s *scanner) skipStr() error {
	start := s.i + 1
	if q := bytes.IndexByte(s.data[start:], '"'); q >= 0 && !hasSpecial(s.data[start:start+q], false) {
		s.i = start + q + 1
		return nil
	}
	_, _, err := s.str()
	return err
}

// hasSpecial reports whether b has a backslash, a control byte or, with nonASCII, a byte
// over 0x7f, eight bytes at a time.
func hasSpecial(b []byte, nonASCII bool) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var high uint64
	if nonASCII {
		high = highs
	}
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		bs := w ^ (ones * '\\')
		// a high bit asked for, a byte under 0x20, or a zero byte where a backslash was
		if w&high != 0 || (w-ones*0x20)&^w&highs != 0 || (bs-ones)&^bs&highs != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c == '\\' || nonASCII && c >= 0x80 {
			return true
		}
	}
	return false
}
