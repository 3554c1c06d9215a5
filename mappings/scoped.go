package mappings

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pmohub/pmohub/warehouse"
)

// Scoped value maps and fallback sources: workflows differ per project, issue type or
// tab, and a field's usual source is sometimes missing (no resolution date).

// scope is a compiled scoped value map: tried before the field's own values where cond
// holds.
type scope struct {
	cond   *cond
	values map[string]string
	folded map[string]string
}

// fallbackSrc is a field's source followed by its fallback: the first that gives a value.
type fallbackSrc struct{ first, then source }

func (s *fallbackSrc) eval(c *rowCtx) val {
	if v := s.first.eval(c); !v.empty() {
		return v
	}
	return s.then.eval(c)
}

// fallback compiles a field's fallback (itself possibly with a fallback) behind src.
func (c *compiler) fallback(b *block, fb *Field, key string, deps *[]string, src source) source {
	for _, k := range []string{"type", "elem", "values", "scoped", "default", "trim"} {
		if fb.has(k) {
			c.hint(fb.at(k), key+"."+k, "set "+k+" on the field: it applies to the fallback too",
				"a fallback gives only a source; %s does not apply here", k)
		}
	}
	then := c.source(b, fb, key, deps, true)
	c.checkTx(b, fb, key)
	if fb.Fallback != nil {
		then = c.fallback(b, fb.Fallback, key+".fallback", deps, then)
	}
	return &fallbackSrc{first: src, then: then}
}

// checkTx checks and notes a first_transition/last_transition source.
func (c *compiler) checkTx(b *block, f *Field, key string) {
	if f.FirstTransition == nil && f.LastTransition == nil {
		return
	}
	if b.table != warehouse.WorkItems {
		c.add(f.Pos, key, "first_transition and last_transition apply to work_items only")
	}
	b.needsTx = true
}

// scopes compiles a field's scoped value maps.
func (c *compiler) scopes(b *block, f *Field, cf *cfield, key string) {
	for i, sc := range f.Scoped {
		skey := fmt.Sprintf("%s.scoped[%d]", key, i)
		if sc == nil {
			c.add(f.at("scoped"), skey, "empty scope: give when and values")
			continue
		}
		if sc.When == nil {
			c.hint(sc.Pos, skey+".when", "when: {path: fields.project.key, equals: OPS}", "missing when: the records this value map is for")
		}
		if len(sc.Values) == 0 {
			c.add(sc.at("values"), skey+".values", "missing values: the value map for these records")
		}
		if sc.When == nil || len(sc.Values) == 0 {
			continue
		}
		cd := c.cond(b, sc.When, skey+".when")
		if cd == nil {
			continue
		}
		if cd.from != "" {
			// A field of the row: computed before this one.
			cd.src = &fromSrc{name: cd.from}
			cf.deps = append(cf.deps, cd.from)
		}
		s := &scope{cond: cd}
		s.values, s.folded = c.valueMap(sc.Values, cf.typ, sc.at("values"), skey+".values")
		cf.scopes = append(cf.scopes, s)
	}
}

// valueMap checks a value map's targets against the field's type and builds the
// lower-cased copy for the second try.
func (c *compiler) valueMap(values map[string]string, typ valueType, pos Pos, key string) (exact, folded map[string]string) {
	folded = make(map[string]string, len(values))
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		to := values[k]
		lk := strings.ToLower(k)
		if _, dup := folded[lk]; !dup {
			folded[lk] = to
		}
		if to == "" || typ == typeList {
			continue
		}
		if _, msg := convert(strVal(to), typ, "", false); msg != "" {
			c.add(pos, key+"."+k, "%s", msg)
		}
	}
	return values, folded
}

// sources lists a field's source and the sources of its scopes' conditions.
func (f *cfield) sources() []source {
	out := []source{f.src}
	for _, s := range f.scopes {
		out = append(out, s.cond.src)
	}
	return out
}

// hasMap reports whether the field maps values at all.
func (f *cfield) hasMap() bool { return f.values != nil || len(f.scopes) > 0 }

// scopeFor is the first scope whose condition holds for this row, or nil. Conditions are
// tested once per value, so a list is mapped with one scope.
func (f *cfield) scopeFor(c *rowCtx) *scope {
	for _, s := range f.scopes {
		if s.cond.holds(c) {
			return s
		}
	}
	return nil
}

func lookupIn(exact, folded map[string]string, s string) (string, bool) {
	if to, ok := exact[s]; ok {
		return to, true
	}
	to, ok := folded[strings.ToLower(s)]
	return to, ok
}
