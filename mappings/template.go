package mappings

import (
	"fmt"
	"strings"
)

// tpart is one piece of a template: literal text or a placeholder.
type tpart struct {
	lit   string
	ph    string // placeholder text, for messages
	kind  tkind
	src   source // path:, column:, or a field reference
	field string // the referenced field, for dependencies
}

type tkind uint8

const (
	tLiteral tkind = iota
	tNativeID
	tStream
	tSource // a source placeholder (path, column, field, env constant)
)

// parseTemplate splits text into literals and placeholders; {{ and }} are literal braces.
func parseTemplate(text string) ([]tpart, error) {
	var parts []tpart
	var lit strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '{' && i+1 < len(text) && text[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(text) && text[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '}':
			return nil, fmt.Errorf("unmatched } at offset %d (write }} for a literal brace)", i)
		case c == '{':
			end := strings.IndexByte(text[i+1:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed { at offset %d", i)
			}
			ph := strings.TrimSpace(text[i+1 : i+1+end])
			if ph == "" {
				return nil, fmt.Errorf("empty placeholder {} at offset %d", i)
			}
			if lit.Len() > 0 {
				parts = append(parts, tpart{lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, tpart{ph: ph, kind: tSource})
			i += end + 1
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, tpart{lit: lit.String()})
	}
	return parts, nil
}

// templateSrc renders a template; an empty placeholder empties the whole text unless
// partial is set, so `{source.url}/browse/{key}` never yields a half link.
type templateSrc struct {
	parts   []tpart
	partial bool
}

func (t *templateSrc) eval(c *rowCtx) val {
	if len(t.parts) == 1 && t.parts[0].kind != tLiteral {
		return strVal(t.parts[0].text(c))
	}
	n := 0
	var buf [8]string
	texts := buf[:0]
	for i := range t.parts {
		s := t.parts[i].text(c)
		if s == "" && t.parts[i].kind != tLiteral && !t.partial {
			return val{}
		}
		texts = append(texts, s)
		n += len(s)
	}
	return strVal(c.join(texts, n))
}

func (p *tpart) text(c *rowCtx) string {
	switch p.kind {
	case tLiteral:
		return p.lit
	case tNativeID:
		return c.rec.NativeID
	case tStream:
		return c.rec.Stream
	}
	v := p.src.eval(c)
	if v.k == vRaw {
		if s, ok := scalarText(v.raw); ok {
			return s
		}
	}
	return v.text()
}
