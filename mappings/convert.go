package mappings

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// valueType is a field's `type:`.
type valueType uint8

const (
	typeString valueType = iota
	typeNumber
	typeTime
	typeDate
	typeBool
	typeList
	typeMap
)

var typeNames = map[string]valueType{
	"string": typeString, "number": typeNumber, "time": typeTime, "date": typeDate,
	"bool": typeBool, "list": typeList, "map": typeMap,
}

func (t valueType) String() string {
	for n, v := range typeNames {
		if v == t {
			return n
		}
	}
	return "?"
}

// vkind is what a val holds. vRaw is a decoded JSON value not yet converted.
type vkind uint8

const (
	vNone vkind = iota
	vRaw
	vString
	vNumber
	vBool
	vTime
	vDate
	vList
	vMap
)

// val is a field value on its way from the payload to a Row: a small tagged union, so the
// per-record path needs no reflection and few allocations.
type val struct {
	k   vkind
	raw any
	s   string
	f   float64
	b   bool
	t   time.Time
	l   []string
	m   map[string]string
}

func rawVal(v any) val {
	if v == nil {
		return val{}
	}
	return val{k: vRaw, raw: v}
}

func strVal(s string) val { return val{k: vString, s: s} }

// empty reports whether the value counts as absent.
func (v val) empty() bool {
	switch v.k {
	case vNone:
		return true
	case vRaw:
		return isEmpty(v.raw)
	case vString:
		return v.s == ""
	case vList:
		return len(v.l) == 0
	case vMap:
		return len(v.m) == 0
	}
	return false
}

const timeText = "2006-01-02T15:04:05.000Z"

// text renders any value as text (templates, conditions, string columns).
func (v val) text() string {
	switch v.k {
	case vRaw:
		if s, ok := scalarText(v.raw); ok {
			return s
		}
		b, _ := json.Marshal(v.raw)
		return string(b)
	case vString:
		return v.s
	case vNumber:
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case vBool:
		return strconv.FormatBool(v.b)
	case vTime:
		return v.t.Format(timeText)
	case vDate:
		return v.t.Format(time.DateOnly)
	case vList:
		return strings.Join(v.l, ",")
	case vMap:
		keys := make([]string, 0, len(v.m))
		for k := range v.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(k + "=" + v.m[k])
		}
		return b.String()
	}
	return ""
}

// convert turns v into typ. A value that does not convert gives vNone and a message.
func convert(v val, typ valueType, elem string, trim bool) (val, string) {
	if v.k == vRaw {
		if s, ok := v.raw.(string); ok {
			v = strVal(s)
		}
	}
	if trim && v.k == vString {
		v.s = strings.TrimSpace(v.s)
	}
	if v.empty() {
		if typ == typeList {
			return val{k: vList}, ""
		}
		return val{}, ""
	}
	switch typ {
	case typeString:
		if v.k == vRaw {
			if s, ok := scalarText(v.raw); ok {
				return strVal(s), ""
			}
			if l, ok := v.raw.([]any); ok {
				out, msg := listOf(l, elem)
				return strVal(strings.Join(out, ", ")), msg
			}
			return val{}, "expected a text, found an object (point the path at one of its keys, e.g. .name)"
		}
		return strVal(v.text()), ""
	case typeNumber:
		switch v.k {
		case vNumber:
			return v, ""
		case vBool:
			return val{}, "expected a number, found true/false"
		}
		s := v.text()
		if v.k == vRaw {
			if _, ok := v.raw.(json.Number); !ok {
				return val{}, fmt.Sprintf("expected a number, found %s", describe(v.raw))
			}
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return val{}, fmt.Sprintf("expected a number, found %q", clip(s))
		}
		return val{k: vNumber, f: f}, ""
	case typeTime, typeDate:
		var t, d time.Time
		switch v.k {
		case vTime, vDate:
			t, d = v.t, dateOf(v.t)
		case vRaw:
			n, ok := v.raw.(json.Number)
			if !ok {
				return val{}, fmt.Sprintf("expected a date or time, found %s", describe(v.raw))
			}
			ms, err := strconv.ParseInt(string(n), 10, 64)
			if err != nil {
				return val{}, fmt.Sprintf("expected epoch milliseconds, found %s", clip(string(n)))
			}
			t = time.UnixMilli(ms).UTC()
			d = dateOf(t)
		default:
			var err error
			if t, d, err = parseTime(v.text()); err != nil {
				return val{}, fmt.Sprintf("expected a date or time, found %q", clip(v.text()))
			}
		}
		if typ == typeDate {
			return val{k: vDate, t: d}, ""
		}
		return val{k: vTime, t: t}, ""
	case typeBool:
		switch v.k {
		case vBool:
			return v, ""
		case vRaw:
			if b, ok := v.raw.(bool); ok {
				return val{k: vBool, b: b}, ""
			}
		}
		switch strings.ToLower(strings.TrimSpace(v.text())) {
		case "true", "yes", "y", "1", "x", "checked":
			return val{k: vBool, b: true}, ""
		case "false", "no", "n", "0", "unchecked":
			return val{k: vBool, b: false}, ""
		}
		return val{}, fmt.Sprintf("expected true or false, found %q", clip(v.text()))
	case typeList:
		switch v.k {
		case vList:
			return v, ""
		case vRaw:
			if l, ok := v.raw.([]any); ok {
				out, msg := listOf(l, elem)
				return val{k: vList, l: out}, msg
			}
			if s, ok := scalarText(v.raw); ok {
				return val{k: vList, l: []string{s}}, ""
			}
			if elem != "" {
				if s, ok := scalarText(v.raw.(map[string]any)[elem]); ok && s != "" {
					return val{k: vList, l: []string{s}}, ""
				}
			}
			return val{}, "expected a list, found an object"
		case vString:
			return val{k: vList, l: splitList(v.s)}, ""
		}
		return val{k: vList, l: []string{v.text()}}, ""
	case typeMap:
		switch v.k {
		case vMap:
			return v, ""
		case vRaw:
			if m, ok := v.raw.(map[string]any); ok {
				out := make(map[string]string, len(m))
				for k, e := range m {
					if e == nil {
						continue
					}
					out[k] = rawVal(e).text()
				}
				return val{k: vMap, m: out}, ""
			}
		}
		return val{}, fmt.Sprintf("expected an object, found %q", clip(v.text()))
	}
	return val{}, "unknown type"
}

// listOf renders list elements as text; objects give their elem key.
func listOf(l []any, elem string) ([]string, string) {
	out := make([]string, 0, len(l))
	msg := ""
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			if elem == "" {
				msg = "list of objects: set elem to the key to take (elem: name)"
				continue
			}
			e = m[elem]
		}
		if s, ok := scalarText(e); ok {
			if s != "" {
				out = append(out, s)
			}
			continue
		}
		msg = "list element is not a text"
	}
	return out, msg
}

// splitList reads "a, b ,c" as [a b c].
func splitList(s string) []string {
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func describe(v any) string {
	switch x := v.(type) {
	case bool:
		return "true/false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case string:
		return strconv.Quote(clip(x))
	case json.Number:
		return string(x)
	}
	return fmt.Sprintf("%T", v)
}

// clip shortens source text quoted in problems.
func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
