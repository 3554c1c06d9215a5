package mappings

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A path is parsed once at compile time into segments; evaluating it walks the decoded
// payload (map[string]any, []any, string, json.Number, bool, nil) without reflection.

type segKind uint8

const (
	segKey   segKind = iota // .name or ["name"]
	segIndex                // [N]; negative counts from the end
	segAll                  // [*]
)

type seg struct {
	kind segKind
	key  string
	idx  int
}

// Path is a parsed JSON path.
type Path struct {
	// Level is -1 for the record root, else the each level it starts from (@N); a bare @
	// is resolved to the innermost level at compile time and is levelInner until then.
	Level int
	Segs  []seg
	Text  string
}

const (
	levelRoot  = -1
	levelInner = -2
)

func (p Path) String() string { return p.Text }

// hasAll reports whether the path iterates ([*]).
func (p Path) hasAll() bool {
	for _, s := range p.Segs {
		if s.kind == segAll {
			return true
		}
	}
	return false
}

var errEmptyPath = errors.New("empty path")

// ParsePath parses a JSON path: a.b[0].c, ["odd key"].x, list[*].name, @.x, @0.x.
func ParsePath(s string) (Path, error) {
	p := Path{Level: levelRoot, Text: s}
	s = strings.TrimSpace(s)
	if s == "" {
		return p, errEmptyPath
	}
	i := 0
	if s[0] == '@' {
		i = 1
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 1 {
			p.Level = levelInner
		} else {
			n, err := strconv.Atoi(s[1:i])
			if err != nil || n > 32 {
				return p, fmt.Errorf("path %q: bad level %q", s, s[:i])
			}
			p.Level = n
		}
		if i < len(s) && s[i] != '.' && s[i] != '[' {
			return p, fmt.Errorf("path %q: expected . or [ after %s", s, s[:i])
		}
		if i < len(s) && s[i] == '.' {
			i++
			if i == len(s) {
				return p, fmt.Errorf("path %q: ends with a dot", s)
			}
		}
	}
	for i < len(s) {
		switch s[i] {
		case '[':
			end, sg, err := parseBracket(s, i)
			if err != nil {
				return p, err
			}
			p.Segs = append(p.Segs, sg)
			i = end
			if i < len(s) {
				switch s[i] {
				case '.':
					i++
					if i == len(s) {
						return p, fmt.Errorf("path %q: ends with a dot", s)
					}
				case '[':
				default:
					return p, fmt.Errorf("path %q: expected . or [ after ] at offset %d", s, i)
				}
			}
		case '.', ']':
			return p, fmt.Errorf("path %q: empty key at offset %d", s, i)
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' && s[j] != ']' {
				j++
			}
			p.Segs = append(p.Segs, seg{kind: segKey, key: s[i:j]})
			i = j
			if i < len(s) && s[i] == '.' {
				i++
				if i == len(s) {
					return p, fmt.Errorf("path %q: ends with a dot", s)
				}
			}
		}
	}
	return p, nil
}

// parseBracket parses [N], [*], ["key"] or ['key'] at s[i] == '['.
func parseBracket(s string, i int) (int, seg, error) {
	j := i + 1
	if j >= len(s) {
		return 0, seg{}, fmt.Errorf("path %q: unclosed [", s)
	}
	switch q := s[j]; {
	case q == '"' || q == '\'':
		var b strings.Builder
		j++
		for {
			if j >= len(s) {
				return 0, seg{}, fmt.Errorf("path %q: unclosed quote", s)
			}
			c := s[j]
			if c == '\\' && j+1 < len(s) {
				b.WriteByte(s[j+1])
				j += 2
				continue
			}
			if c == q {
				break
			}
			b.WriteByte(c)
			j++
		}
		j++
		if j >= len(s) || s[j] != ']' {
			return 0, seg{}, fmt.Errorf("path %q: expected ] after quoted key", s)
		}
		return j + 1, seg{kind: segKey, key: b.String()}, nil
	case q == '*':
		if j+1 >= len(s) || s[j+1] != ']' {
			return 0, seg{}, fmt.Errorf("path %q: expected ] after *", s)
		}
		return j + 2, seg{kind: segAll}, nil
	default:
		k := j
		if k < len(s) && s[k] == '-' {
			k++
		}
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k >= len(s) || s[k] != ']' || k == j || (s[j] == '-' && k == j+1) {
			return 0, seg{}, fmt.Errorf("path %q: expected a number, *, or a quoted key in [ ]", s)
		}
		n, err := strconv.Atoi(s[j:k])
		if err != nil || n > 1<<20 || n < -(1<<20) {
			return 0, seg{}, fmt.Errorf("path %q: index %s out of range", s, s[j:k])
		}
		return k + 1, seg{kind: segIndex, idx: n}, nil
	}
}

// get reads the path's segments from v. A [*] collects the results of every element into
// a list (nested [*] flatten).
func get(v any, segs []seg) any {
	for i, s := range segs {
		switch s.kind {
		case segKey:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[s.key]
		case segIndex:
			l, ok := v.([]any)
			if !ok {
				return nil
			}
			n := s.idx
			if n < 0 {
				n += len(l)
			}
			if n < 0 || n >= len(l) {
				return nil
			}
			v = l[n]
		case segAll:
			l, ok := v.([]any)
			if !ok {
				return nil
			}
			out := make([]any, 0, len(l))
			for _, e := range l {
				r := get(e, segs[i+1:])
				if sub, ok := r.([]any); ok && hasAllSeg(segs[i+1:]) {
					out = append(out, sub...)
				} else if r != nil {
					out = append(out, r)
				}
			}
			return out
		}
		if v == nil {
			return nil
		}
	}
	return v
}

func hasAllSeg(segs []seg) bool {
	for _, s := range segs {
		if s.kind == segAll {
			return true
		}
	}
	return false
}

// isEmpty reports whether a decoded JSON value counts as absent: null, "", [] or {}.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// scalarText renders a decoded JSON scalar as text; ok is false for lists and objects.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}
