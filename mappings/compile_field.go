package mappings

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pmohub/pmohub/warehouse"
)

// field compiles one field definition into cf.
func (c *compiler) field(b *block, e *Entity, f *Field, cf *cfield, key string) {
	cf.src = c.source(b, f, key, &cf.deps, true)
	if f.Fallback != nil {
		cf.src = c.fallback(b, f.Fallback, key+".fallback", &cf.deps, cf.src)
	}
	if f.Type != "" {
		t, ok := typeNames[f.Type]
		if !ok {
			c.hint(f.at("type"), key+".type", "types: string, number, time, date, bool, list, map", "unknown type %q", f.Type)
			return
		}
		cf.typ = t
	} else {
		cf.typ = cf.out.naturalType()
	}
	if !cf.out.accepts(cf.typ) {
		c.hint(f.at("type"), key+".type", "this column takes type "+cf.out.naturalType().String(),
			"type %s does not fit column %s", cf.typ, cf.name)
	}
	if f.Elem != "" {
		if cf.typ != typeList && cf.typ != typeString {
			c.add(f.at("elem"), key+".elem", "elem applies to type list")
		}
		cf.elem = f.Elem
	}
	cf.trim = len(f.Column) > 0
	if f.Trim != nil {
		cf.trim = *f.Trim
	}
	switch cf.typ {
	case typeTime, typeDate, typeMap:
		if len(f.Values) > 0 {
			c.add(f.at("values"), key+".values", "a value map does not apply to type %s", cf.typ)
		}
		if len(f.Scoped) > 0 {
			c.add(f.at("scoped"), key+".scoped", "a value map does not apply to type %s", cf.typ)
		}
	default:
		if len(f.Values) > 0 {
			cf.values, cf.folded = c.valueMap(f.Values, cf.typ, f.at("values"), key+".values")
		}
		c.scopes(b, f, cf, key)
		if len(f.Values) == 0 && len(f.Scoped) > 0 {
			cf.valuesPos = f.at("scoped") // where unmapped values are reported
		}
	}
	if f.Default != nil {
		v, msg := convert(strVal(*f.Default), cf.typ, "", true)
		if msg != "" {
			c.add(f.at("default"), key+".default", "%s", msg)
		}
		cf.def = &v
	}
	c.checkTx(b, f, key)
	if b.table == warehouse.Transitions && cf.name == "to_class" {
		c.checkClasses(f, key)
	}
}

// flowClasses are the classes flow efficiency tells apart (warehouse/metrics).
var flowClasses = []string{"active", "waiting"}

// checkClasses makes a typo in a transitions.to_class target a problem at load, not a
// status silently counted in neither class. Empty is allowed: the category's default.
func (c *compiler) checkClasses(f *Field, key string) {
	check := func(to string, pos Pos, at string) {
		if to != "" && !slices.Contains(flowClasses, to) {
			c.hint(pos, at, "to_class is active or waiting (empty: the default of to_category)", "unknown flow class %q", to)
		}
	}
	for _, to := range f.Values {
		check(to, f.at("values"), key+".values")
	}
	for i, sc := range f.Scoped {
		if sc != nil {
			for _, to := range sc.Values {
				check(to, sc.at("values"), fmt.Sprintf("%s.scoped[%d].values", key, i))
			}
		}
	}
	if f.Default != nil {
		check(*f.Default, f.at("default"), key+".default")
	}
	if f.Value != nil {
		check(*f.Value, f.at("value"), key+".value")
	}
}

// source compiles the one source a field (or a lookup's by) names.
func (c *compiler) source(b *block, f *Field, key string, deps *[]string, full bool) source {
	set := []string{}
	for _, k := range []string{"path", "column", "columns", "from", "value", "template", "expr", "lookup", "first_transition", "last_transition"} {
		if f.has(k) {
			set = append(set, k)
		}
	}
	if len(set) != 1 {
		if len(set) == 0 {
			c.hint(f.Pos, key, "path, column, columns, from, value, template, expr, lookup, first_transition or last_transition", "no source: say where the value comes from")
		} else {
			c.add(f.at(set[1]), key, "one source per field; found %s", strings.Join(set, " and "))
		}
		return constSrc{}
	}
	switch set[0] {
	case "path":
		return c.pathSrc(f.Path, f.at("path"), key+".path")
	case "column":
		return columnSrc{titles: f.Column}
	case "columns":
		if *f.Columns != "rest" {
			c.hint(f.at("columns"), key+".columns", "rest", "unknown columns %q", *f.Columns)
		}
		return &restSrc{b: b}
	case "from":
		*deps = append(*deps, f.From)
		return &fromSrc{name: f.From}
	case "value":
		return constSrc{v: strVal(*f.Value)}
	case "expr":
		return c.expr(*f.Expr, f.at("expr"), key+".expr", deps, false)
	case "template":
		return c.template(*f.Template, f.AllowPartial, f.at("template"), key+".template", deps)
	case "lookup":
		if !full {
			break
		}
		return c.lookup(b, f.Lookup, key+".lookup", deps)
	case "first_transition", "last_transition":
		if !full {
			break
		}
		m := f.FirstTransition
		if set[0] == "last_transition" {
			m = f.LastTransition
		}
		tx := &txSrc{last: set[0] == "last_transition", cats: m.ToCategory, vals: m.ToValue, field: m.Field}
		if m.When != nil {
			tx.when = c.cond(b, m.When, key+"."+set[0]+".when")
			if tx.when != nil && tx.when.from != "" {
				tx.when.src = &fromSrc{name: tx.when.from} // computed before this field
				*deps = append(*deps, tx.when.from)
			}
		}
		return tx
	}
	c.add(f.at(set[0]), key, "%s cannot be used here", set[0])
	return constSrc{}
}

func (c *compiler) pathSrc(texts []string, pos Pos, key string) source {
	s := &pathSrc{pos: pos, key: key, id: c.mp.paths}
	c.mp.paths++
	for _, t := range texts {
		p, err := ParsePath(t)
		if err != nil {
			c.add(pos, key, "%v", err)
			continue
		}
		s.alts = append(s.alts, &p)
	}
	return s
}

func (c *compiler) template(text string, partial bool, pos Pos, key string, deps *[]string) source {
	parts, err := parseTemplate(text)
	if err != nil {
		c.add(pos, key, "%v", err)
		return constSrc{}
	}
	for i := range parts {
		p := &parts[i]
		if p.kind == tLiteral {
			continue
		}
		switch ph := p.ph; {
		case ph == "source":
			p.src = constSrc{v: strVal(c.env.Source)}
		case ph == "source.url":
			p.src = constSrc{v: strVal(strings.TrimRight(c.env.SourceURL, "/"))}
		case ph == "source_kind":
			p.src = constSrc{v: strVal(c.env.SourceKind)}
		case ph == "tenant":
			p.src = constSrc{v: strVal(c.env.Tenant)}
		case ph == "native_id":
			p.kind = tNativeID
		case ph == "stream":
			p.kind = tStream
		case strings.HasPrefix(ph, "path:"):
			p.src = c.pathSrc([]string{strings.TrimSpace(ph[5:])}, pos, key)
		case strings.HasPrefix(ph, "column:"):
			p.src = columnSrc{titles: []string{strings.TrimSpace(ph[7:])}}
		default:
			p.field = ph
			p.src = &fromSrc{name: ph}
			*deps = append(*deps, ph)
		}
	}
	return &templateSrc{parts: parts, partial: partial}
}

func (c *compiler) lookup(b *block, l *Lookup, key string, deps *[]string) source {
	if l.Stream == "" {
		c.add(l.Pos, key+".stream", "missing stream to look in")
	}
	if l.Path == "" {
		c.add(l.Pos, key+".path", "missing path of the value to read")
	}
	if l.By == nil {
		c.hint(l.Pos, key+".by", "by: {path: fields.status.id}", "missing by: the value to look up")
		return constSrc{}
	}
	s := &lookupSrc{stream: l.Stream}
	if l.Path != "" {
		p, err := ParsePath(l.Path)
		if err != nil || p.Level != levelRoot {
			c.add(l.at("path"), key+".path", "bad path %q: %v", l.Path, err)
		}
		s.path = p.Segs
	}
	var keySegs []seg
	if l.Key != "" {
		p, err := ParsePath(l.Key)
		if err != nil || p.Level != levelRoot {
			c.add(l.at("key"), key+".key", "bad key path %q: %v", l.Key, err)
		}
		keySegs = p.Segs
	}
	id := l.Stream + "\x00" + l.Key
	ix, ok := c.lookupByKey[id]
	if !ok {
		ix = &lookupIndex{stream: l.Stream, key: keySegs, keyText: l.Key}
		c.lookupByKey[id] = ix
		c.mp.lookups = append(c.mp.lookups, ix)
	}
	s.ix = ix
	s.by = c.source(b, l.By, key+".by", deps, false)
	for _, k := range []string{"fallback", "scoped"} {
		if l.By.has(k) {
			c.add(l.By.at(k), key+".by."+k, "%s cannot be used in a lookup's by", k)
		}
	}
	return s
}

// cond compiles one where condition.
func (c *compiler) cond(b *block, w *Condition, key string) *cond {
	cd := &cond{pos: w.Pos}
	n := 0
	for _, k := range []string{"path", "column", "from", "expr"} {
		if w.has(k) {
			n++
		}
	}
	if n != 1 {
		c.hint(w.Pos, key, "path, column, from or expr", "a condition reads exactly one source")
		return nil
	}
	if w.Expr != nil {
		var deps []string
		cd.src, cd.op = c.expr(*w.Expr, w.at("expr"), key+".expr", &deps, true), opTrue
		if len(deps) > 0 {
			c.hint(w.at("expr"), key+".expr", "test computed fields with from: conditions", "a where expression cannot read row")
		}
		if w.Equals != nil || w.NotEquals != nil || w.has("in") || w.Present != nil || w.Matches != nil {
			c.add(w.Pos, key, "an expr condition makes no other comparison")
		}
		return cd
	}
	switch {
	case w.has("path"):
		cd.src = c.pathSrc(w.Path, w.at("path"), key+".path")
	case w.has("column"):
		cd.src = columnSrc{titles: w.Column}
	default:
		cd.from = w.From
	}
	ops := 0
	if w.Equals != nil {
		cd.op, cd.text, ops = opEquals, *w.Equals, ops+1
	}
	if w.NotEquals != nil {
		cd.op, cd.text, ops = opNotEquals, *w.NotEquals, ops+1
	}
	if w.has("in") {
		cd.op, cd.in, ops = opIn, w.In, ops+1
	}
	if w.Present != nil {
		cd.op, cd.present, ops = opPresent, *w.Present, ops+1
	}
	if w.Matches != nil {
		re, err := regexp.Compile(*w.Matches)
		if err != nil {
			c.add(w.at("matches"), key+".matches", "bad regular expression: %v", err)
		}
		cd.op, cd.re, ops = opMatches, re, ops+1
	}
	if ops != 1 {
		c.hint(w.Pos, key, "equals, not_equals, in, present or matches", "a condition makes exactly one comparison")
		return nil
	}
	return cd
}

// walkSrc calls fn for s and every source nested in it.
func walkSrc(s source, fn func(source)) {
	fn(s)
	switch x := s.(type) {
	case *templateSrc:
		for _, p := range x.parts {
			if p.src != nil {
				walkSrc(p.src, fn)
			}
		}
	case *lookupSrc:
		walkSrc(x.by, fn)
	case *fallbackSrc:
		walkSrc(x.first, fn)
		walkSrc(x.then, fn)
	case *txSrc:
		if x.when != nil && x.when.src != nil {
			walkSrc(x.when.src, fn)
		}
	}
}

// bindFrom points every from reference at its field's index in the computed order.
func bindFrom(s source, idx map[string]int) source {
	walkSrc(s, func(s source) {
		switch f := s.(type) {
		case *fromSrc:
			f.idx = idx[f.name]
		case *exprSrc:
			for i, d := range f.deps {
				f.depIdx[i] = idx[d]
			}
		}
	})
	return s
}

// pathsOf lists the payload paths a source reads.
func pathsOf(s source) []*Path {
	var out []*Path
	walkSrc(s, func(s source) {
		if p, ok := s.(*pathSrc); ok {
			out = append(out, p.alts...)
		}
	})
	return out
}
