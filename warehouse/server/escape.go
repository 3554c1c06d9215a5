package server

import (
	"bytes"
	"strconv"
)

// writeEscaped writes s with ClickHouse's text escaping (TabSeparated and quoted values):
// backslash escapes for control characters, the backslash and quote (0 for none).
func writeEscaped(b *bytes.Buffer, s string, quote byte) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c == quote {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
}

// writeQuoted writes a value as ClickHouse writes it inside arrays, maps and tuples:
// strings in single quotes, NULL, [a,b], {k:v}, (a,b).
func writeQuoted(b *bytes.Buffer, n *node) {
	switch n.kind {
	case kNull:
		b.WriteString("NULL")
	case kString:
		b.WriteByte('\'')
		writeEscaped(b, n.text, '\'')
		b.WriteByte('\'')
	case kArray, kTuple:
		open, end := byte('['), byte(']')
		if n.kind == kTuple {
			open, end = '(', ')'
		}
		b.WriteByte(open)
		for i := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeQuoted(b, &n.items[i])
		}
		b.WriteByte(end)
	case kMap:
		b.WriteByte('{')
		for i := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeQuoted(b, &n.keys[i])
			b.WriteByte(':')
			writeQuoted(b, &n.items[i])
		}
		b.WriteByte('}')
	default:
		b.WriteString(n.text)
	}
}

// writeJSONValue writes a value as ClickHouse's JSON formats do: 64-bit integers bare,
// nan and inf as null, maps and named tuples as objects.
func writeJSONValue(b *bytes.Buffer, n *node) {
	switch n.kind {
	case kNull:
		b.WriteString("null")
	case kString:
		writeJSONString(b, n.text)
	case kNumber:
		switch n.text {
		case "nan", "inf", "-inf":
			b.WriteString("null")
		default:
			b.WriteString(n.text)
		}
	case kArray, kTuple:
		if n.kind == kTuple && len(n.names) > 0 {
			b.WriteByte('{')
			for i := range n.items {
				if i > 0 {
					b.WriteByte(',')
				}
				writeJSONString(b, n.names[i])
				b.WriteByte(':')
				writeJSONValue(b, &n.items[i])
			}
			b.WriteByte('}')
			return
		}
		b.WriteByte('[')
		for i := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONValue(b, &n.items[i])
		}
		b.WriteByte(']')
	case kMap:
		b.WriteByte('{')
		for i := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, n.keys[i].text)
			b.WriteByte(':')
			writeJSONValue(b, &n.items[i])
		}
		b.WriteByte('}')
	default:
		b.WriteString(n.text)
	}
}

// writeJSONString escapes like ClickHouse: control characters, quote, backslash and the
// forward slash; other bytes (UTF-8 included) pass through.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				h := strconv.FormatUint(uint64(c), 16)
				if len(h) == 1 {
					b.WriteByte('0')
				}
				b.WriteString(h)
				continue
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
