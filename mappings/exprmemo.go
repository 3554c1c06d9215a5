package mappings

import (
	"encoding/binary"
	"encoding/json"
	"regexp"
	"strings"
)

// An expression that reads the payload only through constant paths (exprSrc.payloadPaths)
// and nothing else that varies by record is a function of the values at those paths. PMO
// data repeats: a team derived from labels, an estimate from one of two fields, a health
// from a status word see a few hundred distinct inputs across 100,000 issues, and CEL
// costs microseconds per evaluation where a lookup costs a fraction of one. So each worker
// keeps the results of such expressions by their inputs. Inputs that are objects, or lists
// of anything but scalars, are not keyed (the expression then runs), and a memo whose
// inputs rarely repeat (dates, ids) turns itself off.

const (
	memoMaxEntries = 4096 // per expression and worker
	memoTrial      = 1024 // evaluations before a memo that rarely hits is dropped
)

type exprMemo struct {
	results      map[string]memoResult
	hits, misses int
	off          bool
}

type memoResult struct {
	v   val
	msg string // the failure, if it failed
}

var otherVarRe = regexp.MustCompile(`\b(row|source|now|each|levels)\b`)

// exprMemos are one worker's memos (kept in its decodeArena).
type exprMemos struct {
	by  map[*exprSrc]*exprMemo
	key []byte
}

// memoizable reports whether s's result depends only on its payload paths.
func (s *exprSrc) memoizable() bool {
	if !s.payload || s.wholePayload || len(s.payloadPaths) == 0 || s.each || len(s.deps) > 0 {
		return false
	}
	return !otherVarRe.MatchString(s.text)
}

func (ms *exprMemos) eval(s *exprSrc, c *rowCtx) (val, string) {
	if ms.by == nil {
		ms.by = map[*exprSrc]*exprMemo{}
	}
	m := ms.by[s]
	if m == nil {
		m = &exprMemo{results: map[string]memoResult{}}
		ms.by[s] = m
	}
	if m.off {
		return s.run(c)
	}
	key, ok := memoKey(ms.key[:0], s.payloadPaths, c.root)
	ms.key = key
	if ok {
		if r, hit := m.results[string(key)]; hit {
			m.hits++
			return r.v, r.msg
		}
	}
	v, msg := s.run(c)
	m.misses++
	if ok && len(m.results) < memoMaxEntries {
		if r, keep := memoValue(v); keep {
			m.results[string(key)] = memoResult{v: r, msg: strings.Clone(msg)}
		}
	}
	if m.misses >= memoTrial && m.hits*8 < m.misses {
		m.off, m.results = true, nil // under one hit in nine: the keys cost more than they save
	}
	return v, msg
}

// memoKey encodes the values at paths in root, and whether each was absent or stopped at
// a value that is not an object: CEL tells those apart. ok is false for inputs not keyed.
func memoKey(key []byte, paths [][]seg, root any) ([]byte, bool) {
	for _, p := range paths {
		if len(p) > 255 {
			return key, false // depths are kept in a byte
		}
		v, depth, found := root, 0, true
		for ; depth < len(p); depth++ {
			m, isMap := v.(map[string]any)
			if p[depth].kind != segKey {
				return key, false
			}
			if !isMap {
				break
			}
			if v, found = m[p[depth].key]; !found {
				break
			}
		}
		switch {
		case depth == len(p):
			key = append(key, 'v') // the value at the path
		case !found:
			key = append(key, 'm', byte(depth)) // absent
			continue
		default:
			key = append(key, 'x', byte(depth)) // a value where an object was read
		}
		var ok bool
		if key, ok = appendScalar(key, v, true); !ok {
			return key, false
		}
	}
	return key, true
}

func appendScalar(key []byte, v any, lists bool) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(key, 'n'), true
	case bool:
		if x {
			return append(key, 't'), true
		}
		return append(key, 'f'), true
	case string:
		key = append(key, 's')
		key = binary.AppendUvarint(key, uint64(len(x)))
		return append(key, x...), true
	case json.Number:
		key = append(key, 'd')
		key = binary.AppendUvarint(key, uint64(len(x)))
		return append(key, x...), true
	case []any:
		if !lists {
			return key, false
		}
		key = append(key, 'l')
		key = binary.AppendUvarint(key, uint64(len(x)))
		for _, e := range x {
			var ok bool
			if key, ok = appendScalar(key, e, false); !ok {
				return key, false
			}
		}
		return key, true
	}
	return key, false
}

// memoValue is v with texts of its own, so that a kept result holds no record's memory.
func memoValue(v val) (val, bool) {
	switch v.k {
	case vRaw:
		n, ok := v.raw.(json.Number)
		if !ok {
			return v, false
		}
		v.raw = json.Number(strings.Clone(string(n)))
	case vString:
		v.s = strings.Clone(v.s)
	case vList:
		if v.l != nil {
			l := make([]string, len(v.l))
			for i, s := range v.l {
				l[i] = strings.Clone(s)
			}
			v.l = l
		}
	case vMap:
		if v.m != nil {
			m := make(map[string]string, len(v.m))
			for k, s := range v.m {
				m[strings.Clone(k)] = strings.Clone(s)
			}
			v.m = m
		}
	}
	return v, true
}
