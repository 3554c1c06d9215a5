package mappings

import (
	"fmt"
	"strings"
)

// Diagnostic is one problem in a mapping file: where it is, which key, what is wrong and,
// when known, what to do about it.
type Diagnostic struct {
	Pos     Pos
	Key     string // dotted key path: entities.work_items.fields.estimate.type
	Message string
	Hint    string
	// Warning marks what stored records suggest is wrong (a path that never matched) but
	// does not stop a mapping from being applied.
	Warning bool
}

func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	if d.Warning {
		b.WriteString("warning: ")
	}
	if d.Key != "" {
		b.WriteString(d.Key)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	if d.Hint != "" {
		fmt.Fprintf(&b, " (%s)", d.Hint)
	}
	return b.String()
}

// ParseError lists every problem found in a mapping, by Parse or Compile. Nothing of a
// mapping with problems is applied.
type ParseError struct {
	Problems []Diagnostic
}

func (e *ParseError) Error() string {
	if len(e.Problems) == 1 {
		return "mapping: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mapping: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects diagnostics while loading or compiling.
type problems struct {
	list []Diagnostic
}

func (p *problems) add(pos Pos, key, msg string, args ...any) {
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	p.list = append(p.list, Diagnostic{Pos: pos, Key: key, Message: msg})
}

func (p *problems) hint(pos Pos, key, hint, msg string, args ...any) {
	p.add(pos, key, msg, args...)
	p.list[len(p.list)-1].Hint = hint
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ParseError{Problems: p.list}
}
