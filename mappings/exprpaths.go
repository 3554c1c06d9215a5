package mappings

import (
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
)

// payloadPaths lists the parts of payload an expression reads, from its checked syntax
// tree: each chain of constant keys that starts at payload (payload.fields.labels,
// payload["a b"], payload.fields.?x) is one path, kept whole by the decode plan. whole is
// true when payload is used any other way (passed to a function, indexed by a computed
// key, shadowed): the plan must keep the whole record. A Jira issue is mostly text no
// expression reads, so this spares decoding it.
func payloadPaths(e celast.Expr) (paths [][]seg, whole bool) {
	var walk func(e celast.Expr)
	walk = func(e celast.Expr) {
		if whole || e == nil {
			return
		}
		if p, ok := payloadChain(e); ok {
			if len(p) == 0 {
				whole = true // payload itself
			}
			paths = append(paths, p)
			return
		}
		switch e.Kind() {
		case celast.IdentKind:
			if e.AsIdent() == "payload" {
				whole = true
			}
		case celast.SelectKind:
			walk(e.AsSelect().Operand())
		case celast.CallKind:
			c := e.AsCall()
			if c.IsMemberFunction() {
				walk(c.Target())
			}
			for _, a := range c.Args() {
				walk(a)
			}
		case celast.ListKind:
			for _, x := range e.AsList().Elements() {
				walk(x)
			}
		case celast.MapKind:
			for _, en := range e.AsMap().Entries() {
				walk(en.AsMapEntry().Key())
				walk(en.AsMapEntry().Value())
			}
		case celast.StructKind:
			for _, f := range e.AsStruct().Fields() {
				walk(f.AsStructField().Value())
			}
		case celast.ComprehensionKind:
			c := e.AsComprehension()
			if c.IterVar() == "payload" || c.IterVar2() == "payload" || c.AccuVar() == "payload" {
				whole = true // a variable named payload hides the record: give up
				return
			}
			for _, x := range []celast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
				walk(x)
			}
		}
	}
	walk(e)
	if whole {
		return nil, true
	}
	return paths, false
}

// payloadChain is the constant key chain of e from payload (empty: payload itself).
func payloadChain(e celast.Expr) ([]seg, bool) {
	switch e.Kind() {
	case celast.IdentKind:
		if e.AsIdent() == "payload" {
			return []seg{}, true
		}
	case celast.SelectKind:
		s := e.AsSelect()
		if p, ok := payloadChain(s.Operand()); ok {
			return append(p, seg{kind: segKey, key: s.FieldName()}), true
		}
	case celast.CallKind:
		c := e.AsCall()
		switch c.FunctionName() {
		case operators.Index, operators.OptIndex, operators.OptSelect:
		default:
			return nil, false
		}
		if len(c.Args()) != 2 || c.Args()[1].Kind() != celast.LiteralKind {
			return nil, false
		}
		key, ok := c.Args()[1].AsLiteral().(types.String)
		if !ok {
			return nil, false
		}
		if p, ok := payloadChain(c.Args()[0]); ok {
			return append(p, seg{kind: segKey, key: string(key)}), true
		}
	}
	return nil, false
}

// mayRunAway reports whether an expression's cost can grow faster than the record it
// reads: a comprehension inside another one's loop, or lists.range (its size is data).
func mayRunAway(e celast.Expr) bool {
	var walk func(e celast.Expr, inLoop bool) bool
	walk = func(e celast.Expr, inLoop bool) bool {
		if e == nil {
			return false
		}
		switch e.Kind() {
		case celast.SelectKind:
			return walk(e.AsSelect().Operand(), inLoop)
		case celast.CallKind:
			c := e.AsCall()
			if c.FunctionName() == "lists.range" {
				return true
			}
			if c.IsMemberFunction() && walk(c.Target(), inLoop) {
				return true
			}
			for _, a := range c.Args() {
				if walk(a, inLoop) {
					return true
				}
			}
		case celast.ListKind:
			for _, x := range e.AsList().Elements() {
				if walk(x, inLoop) {
					return true
				}
			}
		case celast.MapKind:
			for _, en := range e.AsMap().Entries() {
				if walk(en.AsMapEntry().Key(), inLoop) || walk(en.AsMapEntry().Value(), inLoop) {
					return true
				}
			}
		case celast.StructKind:
			for _, f := range e.AsStruct().Fields() {
				if walk(f.AsStructField().Value(), inLoop) {
					return true
				}
			}
		case celast.ComprehensionKind:
			if inLoop {
				return true
			}
			c := e.AsComprehension()
			// the range and the initial value run once; the rest once per element
			return walk(c.IterRange(), false) || walk(c.AccuInit(), false) ||
				walk(c.LoopCondition(), true) || walk(c.LoopStep(), true) || walk(c.Result(), false)
		}
		return false
	}
	return walk(e, false)
}
