package warehouse

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSONRow (test only: the benchmark writes the file chDB loads for comparison)
// encodes one row as a JSONEachRow line in the shapes ClickHouse parses for
// the column types of the model.
func AppendJSONRow(buf []byte, columns []Column, row Row) ([]byte, error) {
	if len(row) != len(columns) {
		return buf, fmt.Errorf("row has %d values for %d columns", len(row), len(columns))
	}
	buf = append(buf, '{')
	for i, c := range columns {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, c.Name...)
		buf = append(buf, '"', ':')
		var err error
		if buf, err = appendJSONValue(buf, row[i]); err != nil {
			return buf, fmt.Errorf("column %s: %w", c.Name, err)
		}
	}
	return append(buf, '}', '\n'), nil
}

func appendJSONValue(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendJSONString(buf, x), nil
	case time.Time:
		return appendTime(buf, x), nil
	case *time.Time:
		if x == nil {
			return append(buf, "null"...), nil
		}
		return appendTime(buf, *x), nil
	case *float64:
		if x == nil || math.IsNaN(*x) || math.IsInf(*x, 0) {
			return append(buf, "null"...), nil
		}
		return strconv.AppendFloat(buf, *x, 'g', -1, 64), nil
	case float64:
		return strconv.AppendFloat(buf, x, 'g', -1, 64), nil
	case []string:
		buf = append(buf, '[')
		for i, s := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, s)
		}
		return append(buf, ']'), nil
	case map[string]string:
		buf = append(buf, '{')
		first := true
		for k, s := range x {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendJSONString(buf, k)
			buf = append(buf, ':')
			buf = appendJSONString(buf, s)
		}
		return append(buf, '}'), nil
	case uint8:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(buf, x, 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	}
	return buf, fmt.Errorf("unsupported value type %T", v)
}

// appendTime writes "YYYY-MM-DD hh:mm:ss.mmm" in UTC, which ClickHouse reads for both
// DateTime64(3) and (its date part) Date32.
func appendTime(buf []byte, t time.Time) []byte {
	t = t.UTC()
	buf = append(buf, '"')
	buf = t.AppendFormat(buf, "2006-01-02 15:04:05.000")
	return append(buf, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString escapes s for JSON. Invalid UTF-8 is kept byte for byte: ClickHouse's
// String holds bytes, and a title is stored verbatim.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			if c < utf8.RuneSelf {
				i++
				continue
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"':
			buf = append(buf, '\\', '"')
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
