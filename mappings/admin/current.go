package admin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pmohub/pmohub/warehouse"
)

// The diff reads the warehouse's current rows as RowBinary where the backend gives it
// (embedded chDB): the values decode straight into the Go types of mapped rows and are
// formatted by the same function, with no JSON and no maps per row. A preview of 100,000
// issues compares some 300,000 rows.

// rbCol is how one column of a current row is read (warehouse.ParseRowBinaryType).
type rbCol = warehouse.RowBinaryType

var errRowBinary = errors.New("truncated or unexpected RowBinary")

// rbColumns plans the decoding of columns; false when a type is not one it reads.
func rbColumns(cols []warehouse.Column) ([]rbCol, bool) {
	out := make([]rbCol, len(cols))
	for i, c := range cols {
		t, err := warehouse.ParseRowBinaryType(c.Type)
		if err != nil {
			return nil, false
		}
		out[i] = t
	}
	return out, true
}

// decodeRowBinary calls fn with each row's values, typed as in warehouse.Row (nil for
// NULL). vals is reused between rows.
func decodeRowBinary(data []byte, cols []rbCol, fn func(vals []any)) error {
	vals := make([]any, len(cols))
	for len(data) > 0 {
		for i, c := range cols {
			if c.Nullable {
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
			if vals[i], data, ok = rbValue(data, c.Kind); !ok {
				return errRowBinary
			}
		}
		fn(vals)
	}
	return nil
}

func rbValue(b []byte, k warehouse.RowBinaryKind) (any, []byte, bool) {
	fixed := func(n int) ([]byte, bool) { return b[min(n, len(b)):], len(b) >= n }
	switch k {
	case warehouse.RowBinaryString:
		s, rest, ok := warehouse.ReadRowBinaryString(b)
		return s, rest, ok
	case warehouse.RowBinaryDateTime64:
		rest, ok := fixed(8)
		if !ok {
			return nil, b, false
		}
		return time.UnixMilli(int64(binary.LittleEndian.Uint64(b))).UTC(), rest, true
	case warehouse.RowBinaryDate32:
		rest, ok := fixed(4)
		if !ok {
			return nil, b, false
		}
		return time.Unix(int64(int32(binary.LittleEndian.Uint32(b)))*86400, 0).UTC(), rest, true
	case warehouse.RowBinaryFloat64:
		rest, ok := fixed(8)
		if !ok {
			return nil, b, false
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(b))
		return &f, rest, true
	case warehouse.RowBinaryUInt8, warehouse.RowBinaryBool:
		rest, ok := fixed(1)
		if !ok {
			return nil, b, false
		}
		return uint64(b[0]), rest, true
	case warehouse.RowBinaryUInt32:
		rest, ok := fixed(4)
		if !ok {
			return nil, b, false
		}
		return uint64(binary.LittleEndian.Uint32(b)), rest, true
	case warehouse.RowBinaryUInt64:
		rest, ok := fixed(8)
		if !ok {
			return nil, b, false
		}
		return binary.LittleEndian.Uint64(b), rest, true
	case warehouse.RowBinaryArrayString, warehouse.RowBinaryMapString:
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)) {
			return nil, b, false
		}
		b = b[w:]
		var l []string
		var m map[string]string
		if k == warehouse.RowBinaryArrayString {
			l = make([]string, 0, n)
		} else {
			m = make(map[string]string, n)
		}
		for range n {
			s, rest, ok := warehouse.ReadRowBinaryString(b)
			if !ok {
				return nil, b, false
			}
			b = rest
			if k == warehouse.RowBinaryArrayString {
				l = append(l, s)
				continue
			}
			v, rest, ok := warehouse.ReadRowBinaryString(b)
			if !ok {
				return nil, b, false
			}
			b, m[s] = rest, v
		}
		if k == warehouse.RowBinaryArrayString {
			return l, b, true
		}
		return m, b, true
	}
	return nil, b, false
}

// formatValue formats a decoded value as formatMapped does a mapped one.
func formatValue(chType string, v any) string {
	if u, ok := v.(uint64); ok {
		return fmt.Sprint(u)
	}
	return formatMapped(chType, v)
}
