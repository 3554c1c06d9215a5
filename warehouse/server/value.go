package server

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// node is one scanned value, reduced to what the output formats need to know about it.
type node struct {
	kind  nodeKind
	text  string   // scalars: the value's text, unescaped
	items []node   // array and tuple elements, map values
	keys  []node   // map keys
	names []string // named tuple element names
}

type nodeKind uint8

const (
	kNull nodeKind = iota
	kNumber
	kBool
	kString
	kArray
	kTuple
	kMap
)

func (n *node) composite() bool { return n.kind >= kArray }

// toNode converts a value scanned by clickhouse-go (typed by the column's ScanType) into a
// node; t is the column's ClickHouse type and decides how times and stringers print.
func toNode(t *chType, v any) node {
	switch x := v.(type) {
	case nil:
		return node{kind: kNull}
	case string:
		return node{kind: kString, text: x}
	case []byte: // Array(UInt8) scans to []uint8 too
		if t.base().name != "Array" {
			return node{kind: kString, text: string(x)}
		}
	case bool:
		return node{kind: kBool, text: strconv.FormatBool(x)}
	case time.Time:
		return node{kind: kString, text: formatTime(t.base(), x)}
	case float64:
		return node{kind: kNumber, text: formatFloat(x, 64)}
	case float32:
		return node{kind: kNumber, text: formatFloat(float64(x), 32)}
	case int64:
		return node{kind: kNumber, text: strconv.FormatInt(x, 10)}
	case uint64:
		return node{kind: kNumber, text: strconv.FormatUint(x, 10)}
	case int, int8, int16, int32, uint, uint8, uint16, uint32:
		return node{kind: kNumber, text: fmt.Sprint(x)}
	case *big.Int:
		if x == nil {
			return node{kind: kNull}
		}
		return node{kind: kNumber, text: x.String()}
	case fmt.Stringer: // decimal.Decimal, uuid.UUID, net.IP, netip.Addr, enums
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return node{kind: kNull}
			}
			return toNode(t, rv.Elem().Interface()) // Nullable(T) scans to *T
		}
		if t.numeric() {
			return node{kind: kNumber, text: x.String()}
		}
		return node{kind: kString, text: x.String()}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return node{kind: kNull}
		}
		return toNode(t, rv.Elem().Interface())
	case reflect.Slice, reflect.Array:
		b := t.base()
		n := node{kind: kArray}
		if b.name == "Tuple" {
			n.kind, n.names = kTuple, b.fields
		}
		for i := 0; i < rv.Len(); i++ {
			et := b.elem(0)
			if n.kind == kTuple {
				et = b.elem(i)
			}
			n.items = append(n.items, toNode(et, rv.Index(i).Interface()))
		}
		return n
	case reflect.Map:
		return mapNode(t.base(), rv)
	}
	return node{kind: kString, text: fmt.Sprint(v)}
}

// mapNode renders a Map (keys sorted: Go maps lose ClickHouse's order) or a named tuple
// scanned as map[string]any (fields in the type's order).
func mapNode(t *chType, rv reflect.Value) node {
	if t.name == "Tuple" && len(t.fields) > 0 && rv.Type().Key().Kind() == reflect.String {
		n := node{kind: kTuple, names: t.fields}
		for i, f := range t.fields {
			var v any
			if mv := rv.MapIndex(reflect.ValueOf(f).Convert(rv.Type().Key())); mv.IsValid() {
				v = mv.Interface()
			}
			n.items = append(n.items, toNode(t.elem(i), v))
		}
		return n
	}
	n := node{kind: kMap}
	keys := rv.MapKeys()
	kn := make([]node, len(keys))
	for i, k := range keys {
		kn[i] = toNode(t.elem(0), k.Interface())
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return kn[order[a]].text < kn[order[b]].text })
	for _, i := range order {
		n.keys = append(n.keys, kn[i])
		n.items = append(n.items, toNode(t.elem(1), rv.MapIndex(keys[i]).Interface()))
	}
	return n
}

// formatTime writes a time the way ClickHouse prints the column's type, in the time's own
// location (clickhouse-go returns it in the column's time zone).
func formatTime(t *chType, v time.Time) string {
	switch t.name {
	case "Date", "Date32":
		return v.Format("2006-01-02")
	case "DateTime":
		return v.Format("2006-01-02 15:04:05")
	}
	prec := 3
	if t.name == "DateTime64" && len(t.args) > 0 {
		if p, err := strconv.Atoi(t.args[0]); err == nil && p >= 0 && p <= 9 {
			prec = p
		}
	}
	if prec == 0 {
		return v.Format("2006-01-02 15:04:05")
	}
	return v.Format("2006-01-02 15:04:05." + strings.Repeat("0", prec))
}

// formatFloat prints the shortest round-tripping decimal the way ClickHouse does: fixed
// notation for 1e-7 < |x| < 1e21, otherwise exponent notation without a plus sign.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	digits := strings.Replace(mant, ".", "", 1)
	k, n := len(digits), e+1 // n: position of the decimal point after the first digit
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	out := sign + digits[:1]
	if k > 1 {
		out += "." + digits[1:]
	}
	return out + "e" + strconv.Itoa(n-1)
}
