package mappings

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// ynode is a YAML node reduced to what the mapping loader needs: scalars keep their text,
// every node keeps its position. Anchors, aliases and tags are resolved away.
type ynode struct {
	kind   ykind
	pos    Pos
	text   string // scalar text (unquoted)
	quoted bool   // a quoted scalar: never null, never a number
	keys   []ykv  // mapping entries in file order
	items  []*ynode
}

type ykv struct {
	key   string
	pos   Pos // of the key
	value *ynode
}

type ykind uint8

const (
	yNull ykind = iota
	yScalar
	yMap
	ySeq
)

func (k ykind) String() string {
	switch k {
	case yNull:
		return "nothing (null)"
	case yScalar:
		return "a value"
	case yMap:
		return "a mapping"
	default:
		return "a list"
	}
}

// Pos is a place in a mapping file.
type Pos struct {
	File         string
	Line, Column int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// parseYAML parses one YAML document into a ynode tree.
func parseYAML(filename string, data []byte) (*ynode, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			d := Diagnostic{Pos: Pos{File: filename}, Message: ye.GetMessage()}
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				d.Pos.Line, d.Pos.Column = tk.Position.Line, tk.Position.Column
			}
			return nil, &ParseError{Problems: []Diagnostic{d}}
		}
		return nil, &ParseError{Problems: []Diagnostic{{Pos: Pos{File: filename}, Message: err.Error()}}}
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return &ynode{kind: yNull, pos: Pos{File: filename, Line: 1, Column: 1}}, nil
	}
	if len(f.Docs) > 1 {
		return nil, &ParseError{Problems: []Diagnostic{{Pos: Pos{File: filename}, Message: "a mapping file holds one YAML document; found " + fmt.Sprint(len(f.Docs))}}}
	}
	c := &yconv{file: filename, anchors: map[string]*ynode{}}
	n := c.node(f.Docs[0].Body, 0)
	if len(c.problems) > 0 {
		return nil, &ParseError{Problems: c.problems}
	}
	return n, nil
}

type yconv struct {
	file     string
	anchors  map[string]*ynode
	problems []Diagnostic
}

func (c *yconv) pos(tk *token.Token) Pos {
	if tk == nil || tk.Position == nil {
		return Pos{File: c.file}
	}
	return Pos{File: c.file, Line: tk.Position.Line, Column: tk.Position.Column}
}

const maxYAMLDepth = 64

func (c *yconv) node(n ast.Node, depth int) *ynode {
	if n == nil {
		return &ynode{kind: yNull, pos: Pos{File: c.file}}
	}
	p := c.pos(n.GetToken())
	if depth > maxYAMLDepth {
		c.problems = append(c.problems, Diagnostic{Pos: p, Message: "nested too deeply"})
		return &ynode{kind: yNull, pos: p}
	}
	switch v := n.(type) {
	case *ast.NullNode:
		return &ynode{kind: yNull, pos: p}
	case *ast.MappingNode:
		out := &ynode{kind: yMap, pos: p}
		for _, mv := range v.Values {
			c.entry(out, mv, depth)
		}
		return out
	case *ast.MappingValueNode:
		out := &ynode{kind: yMap, pos: p}
		c.entry(out, v, depth)
		return out
	case *ast.SequenceNode:
		out := &ynode{kind: ySeq, pos: p}
		for _, it := range v.Values {
			out.items = append(out.items, c.node(it, depth+1))
		}
		return out
	case *ast.AnchorNode:
		val := c.node(v.Value, depth+1)
		if v.Name != nil {
			c.anchors[v.Name.GetToken().Value] = val
		}
		return val
	case *ast.AliasNode:
		name := ""
		if v.Value != nil {
			name = v.Value.GetToken().Value
		}
		if a, ok := c.anchors[name]; ok {
			return a
		}
		c.problems = append(c.problems, Diagnostic{Pos: p, Message: fmt.Sprintf("unknown alias *%s", name)})
		return &ynode{kind: yNull, pos: p}
	case *ast.TagNode:
		return c.node(v.Value, depth+1)
	case *ast.LiteralNode:
		if v.Value == nil {
			return &ynode{kind: yScalar, pos: p, quoted: true}
		}
		return &ynode{kind: yScalar, pos: p, text: v.Value.Value, quoted: true}
	case *ast.StringNode:
		tk := v.GetToken()
		quoted := tk != nil && (tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType)
		return &ynode{kind: yScalar, pos: p, text: v.Value, quoted: quoted}
	case *ast.MergeKeyNode:
		c.problems = append(c.problems, Diagnostic{Pos: p, Message: "merge keys (<<) are not supported; use extends or repeat the keys"})
		return &ynode{kind: yNull, pos: p}
	case ast.ScalarNode:
		tk := v.GetToken()
		text := ""
		if tk != nil {
			text = tk.Value
		}
		return &ynode{kind: yScalar, pos: p, text: text}
	default:
		c.problems = append(c.problems, Diagnostic{Pos: p, Message: fmt.Sprintf("unsupported YAML %s", n.Type())})
		return &ynode{kind: yNull, pos: p}
	}
}

func (c *yconv) entry(out *ynode, mv *ast.MappingValueNode, depth int) {
	k := c.node(mv.Key, depth+1)
	if k.kind != yScalar {
		c.problems = append(c.problems, Diagnostic{Pos: k.pos, Message: "a key must be plain text"})
		return
	}
	for _, e := range out.keys {
		if e.key == k.text {
			c.problems = append(c.problems, Diagnostic{Pos: k.pos, Key: k.text,
				Message: fmt.Sprintf("duplicate key %q (first at line %d)", k.text, e.pos.Line)})
			return
		}
	}
	out.keys = append(out.keys, ykv{key: k.text, pos: k.pos, value: c.node(mv.Value, depth+1)})
}

// get returns the value of key in a mapping node.
func (n *ynode) get(key string) *ynode {
	for _, e := range n.keys {
		if e.key == key {
			return e.value
		}
	}
	return nil
}

// strings returns a scalar or a list of scalars as text.
func (n *ynode) strs() ([]string, bool) {
	switch n.kind {
	case yScalar:
		return []string{n.text}, true
	case ySeq:
		out := make([]string, 0, len(n.items))
		for _, it := range n.items {
			if it.kind != yScalar {
				return nil, false
			}
			out = append(out, it.text)
		}
		return out, true
	}
	return nil, false
}

func joinKey(parts ...string) string { return strings.Join(parts, ".") }
