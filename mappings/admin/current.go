package admin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pmohub/pmohub/warehouse"
)

// The diff reads the warehouse's current rows as RowBinary where the backend gives it
// (embedded chDB): the values decode straight into the Go types of mapped rows and are
// formatted by the same function, with no JSON and no maps per row. A preview of 100,000
// issues compares some 300,000 rows.

// rbKind is how one column is read from RowBinary.
type rbKind int

const (
	rbString rbKind = iota
	rbTime          // DateTime64(3): milliseconds
	rbDate          // Date32: days
	rbFloat
	rbList // Array(String)
	rbMap  // Map(String, String)
	rbU8
	rbU32
	rbU64
)

type rbCol struct {
	kind     rbKind
	nullable bool
}

var errRowBinary = errors.New("truncated or unexpected RowBinary")

// rbColumns plans the decoding of columns; false when a type is not one it reads.
func rbColumns(cols []warehouse.Column) ([]rbCol, bool) {
	out := make([]rbCol, len(cols))
	for i, c := range cols {
		t := c.Type
		if s, ok := strings.CutPrefix(t, "Nullable("); ok {
			out[i].nullable, t = true, strings.TrimSuffix(s, ")")
		}
		if s, ok := strings.CutPrefix(t, "LowCardinality("); ok {
			t = strings.TrimSuffix(s, ")")
		}
		if i := strings.Index(t, " CODEC("); i >= 0 {
			t = t[:i]
		}
		switch {
		case t == "String":
			out[i].kind = rbString
		case t == "DateTime64(3, 'UTC')":
			out[i].kind = rbTime
		case t == "Date32":
			out[i].kind = rbDate
		case t == "Float64":
			out[i].kind = rbFloat
		case t == "Array(String)":
			out[i].kind = rbList
		case t == "Map(String, String)":
			out[i].kind = rbMap
		case t == "UInt8" || t == "Bool":
			out[i].kind = rbU8
		case t == "UInt32":
			out[i].kind = rbU32
		case t == "UInt64":
			out[i].kind = rbU64
		default:
			return nil, false
		}
	}
	return out, true
}

// decodeRowBinary calls fn with each row's values, typed as in warehouse.Row (nil for
// NULL). vals is reused between rows.
func decodeRowBinary(data []byte, cols []rbCol, fn func(vals []any)) error {
	vals := make([]any, len(cols))
	for len(data) > 0 {
		for i, c := range cols {
			if c.nullable {
				if len(data) < 1 {
					return errRowBinary
				}
				null := data[0] == 1
				data = data[1:]
				if null {
					vals[i] = nil
					continue
				}
			}
			var ok bool
			if vals[i], data, ok = rbValue(data, c.kind); !ok {
				return errRowBinary
			}
		}
		fn(vals)
	}
	return nil
}

func rbValue(b []byte, k rbKind) (any, []byte, bool) {
	fixed := func(n int) ([]byte, bool) { return b[min(n, len(b)):], len(b) >= n }
	switch k {
	case rbString:
		s, rest, ok := readString(b)
		return s, rest, ok
	case rbTime:
		rest, ok := fixed(8)
		if !ok {
			return nil, b, false
		}
		return time.UnixMilli(int64(binary.LittleEndian.Uint64(b))).UTC(), rest, true
	case rbDate:
		rest, ok := fixed(4)
		if !ok {
			return nil, b, false
		}
		return time.Unix(int64(int32(binary.LittleEndian.Uint32(b)))*86400, 0).UTC(), rest, true
	case rbFloat:
		rest, ok := fixed(8)
		if !ok {
			return nil, b, false
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(b))
		return &f, rest, true
	case rbU8:
		rest, ok := fixed(1)
		if !ok {
			return nil, b, false
		}
		return uint64(b[0]), rest, true
	case rbU32:
		rest, ok := fixed(4)
		if !ok {
			return nil, b, false
		}
		return uint64(binary.LittleEndian.Uint32(b)), rest, true
	case rbU64:
		rest, ok := fixed(8)
		if !ok {
			return nil, b, false
		}
		return binary.LittleEndian.Uint64(b), rest, true
	case rbList, rbMap:
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)) {
			return nil, b, false
		}
		b = b[w:]
		var l []string
		var m map[string]string
		if k == rbList {
			l = make([]string, 0, n)
		} else {
			m = make(map[string]string, n)
		}
		for range n {
			s, rest, ok := readString(b)
			if !ok {
				return nil, b, false
			}
			b = rest
			if k == rbList {
				l = append(l, s)
				continue
			}
			v, rest, ok := readString(b)
			if !ok {
				return nil, b, false
			}
			b, m[s] = rest, v
		}
		if k == rbList {
			return l, b, true
		}
		return m, b, true
	}
	return nil, b, false
}

func readString(b []byte) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return "", b, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}

// formatValue formats a decoded value as formatMapped does a mapped one.
func formatValue(chType string, v any) string {
	if u, ok := v.(uint64); ok {
		return fmt.Sprint(u)
	}
	return formatMapped(chType, v)
}
