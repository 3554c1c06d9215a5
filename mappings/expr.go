package mappings

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
)

// Expressions (`expr:`) are CEL, type-checked when the mapping is compiled. Their
// variables:
//
//	payload  the raw record (JSON: objects are maps, numbers are doubles)
//	each     the innermost element of each (null without each)
//	levels   the elements of every each level, outermost first
//	row      the row's fields computed so far that the expression names (row.status);
//	         empty fields are absent: use has(row.x) or row.?x.orValue("")
//	source   {name, kind, url, tenant, stream, native_id}
//	now      when the run started (one value per run, so a re-mapping is consistent)
//
// Besides CEL's standard library and the strings, lists and math extensions, toTime(x)
// reads a time the way `type: time` does (Jira's +0100 offsets, epoch millis, dates).

// exprCostLimit stops an expression that runs away (nested comprehensions, a huge
// lists.range) on one record: it fails that record's field, counted, and the sync goes
// on. Only expressions that can run away are tracked (mayRunAway): tracking doubles an
// expression's cost, and one without nested loops is linear in the record.
const exprCostLimit = 1_000_000

// exprSrc is a compiled CEL expression.
type exprSrc struct {
	text    string
	prg     cel.Program
	payload bool // reads payload
	// payloadPaths are the parts of payload it reads (the plan decodes them whole);
	// wholePayload: it reads payload in a way that needs all of it.
	payloadPaths [][]seg
	wholePayload bool
	each         bool // reads each or levels: the plan keeps elements whole
	deps         []string
	depIdx       []int
	now          time.Time
	env          Env
	isCond       bool
	memo         bool // its result depends on its payload paths alone (exprmemo.go)
}

var (
	rowSelect = regexp.MustCompile(`\brow\s*(?:\.\s*\??\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([^"]+)"\s*\]|\[\s*'([^']+)'\s*\])`)
	usesIdent = func(name string) *regexp.Regexp { return regexp.MustCompile(`\b` + name + `\b`) }
	payloadRe = usesIdent("payload")
	eachRe    = regexp.MustCompile(`\b(each|levels)\b`)
)

// celEnv is built once per compile: declarations are cheap but not free.
func newCELEnv() (*cel.Env, error) {
	adapter := jsonAdapter{base: types.DefaultTypeAdapter}
	return cel.NewEnv(
		cel.Variable("payload", cel.DynType),
		cel.Variable("each", cel.DynType),
		cel.Variable("levels", cel.ListType(cel.DynType)),
		cel.Variable("row", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("source", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("now", cel.TimestampType),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(), ext.Lists(), ext.Math(),
		cel.CustomTypeAdapter(adapter),
		cel.Function("toTime",
			cel.Overload("to_time_dyn", []*cel.Type{cel.DynType}, cel.TimestampType,
				cel.UnaryBinding(func(v ref.Val) ref.Val {
					x := celToVal(v)
					if x.k == vTime || x.k == vDate {
						return types.Timestamp{Time: x.t}
					}
					t, err := ParseTime(x.text())
					if err != nil {
						return types.NewErr("toTime: %v", err)
					}
					return types.Timestamp{Time: t}
				}))),
	)
}

// expr compiles one expression; problems point into the file at the expression.
func (c *compiler) expr(text string, pos Pos, key string, deps *[]string, cond bool) source {
	if c.cel == nil {
		env, err := newCELEnv()
		if err != nil {
			c.add(pos, key, "expression support failed to start: %v", err)
			return constSrc{}
		}
		c.cel = env
	}
	ast, iss := c.cel.Compile(text)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			loc := e.Location
			p := pos
			if loc != nil && loc.Line() > 0 {
				if loc.Line() == 1 {
					p.Column = pos.Column + loc.Column()
				} else {
					p.Line, p.Column = pos.Line+loc.Line()-1, loc.Column()+1
				}
			}
			c.hint(p, key, "CEL: variables payload, each, levels, row, source, now; see mappings/README.md", "expression: %s", e.Message)
		}
		return constSrc{}
	}
	out := ast.OutputType()
	if cond && !out.IsAssignableType(cel.BoolType) && out != cel.DynType {
		c.add(pos, key, "a where expression must give true or false, not %s", out)
		return constSrc{}
	}
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if mayRunAway(ast.NativeRep().Expr()) {
		opts = append(opts, cel.CostLimit(exprCostLimit))
	}
	prg, err := c.cel.Program(ast, opts...)
	if err != nil {
		c.add(pos, key, "expression: %v", err)
		return constSrc{}
	}
	s := &exprSrc{text: text, prg: prg, payload: payloadRe.MatchString(text), each: eachRe.MatchString(text),
		now: c.now, env: c.env, isCond: cond}
	if s.payload {
		s.payloadPaths, s.wholePayload = payloadPaths(ast.NativeRep().Expr())
	}
	for _, m := range rowSelect.FindAllStringSubmatch(text, -1) {
		name := m[1] + m[2] + m[3]
		if !contains(s.deps, name) {
			s.deps = append(s.deps, name)
		}
	}
	*deps = append(*deps, s.deps...)
	s.memo = s.memoizable()
	s.depIdx = make([]int, len(s.deps))
	return s
}

func (s *exprSrc) eval(c *rowCtx) val {
	var v val
	var msg string
	if s.memo && c.memos != nil {
		v, msg = c.memos.eval(s, c)
	} else {
		v, msg = s.run(c)
	}
	if msg != "" && !s.isCond { // a condition that fails is false; it is not a field's problem
		c.problem(c.field, msg)
	}
	return v
}

// run evaluates the expression; msg says why it failed.
func (s *exprSrc) run(c *rowCtx) (val, string) {
	res, _, err := s.prg.Eval(&exprAct{c: c, s: s})
	if err != nil {
		return val{}, "expression failed: " + clip(err.Error())
	}
	return celToVal(res), ""
}

// exprAct resolves the expression's variables lazily: most expressions read one or two.
type exprAct struct {
	c *rowCtx
	s *exprSrc
}

func (a *exprAct) Parent() interpreter.Activation { return nil }

func (a *exprAct) ResolveName(name string) (any, bool) {
	c := a.c
	switch name {
	case "payload":
		return c.root, true
	case "each":
		if len(c.elems) == 0 {
			return nil, true
		}
		return c.elems[len(c.elems)-1], true
	case "levels":
		return append([]any{}, c.elems...), true
	case "row":
		m := make(map[string]any, len(a.s.deps))
		for i, d := range a.s.deps {
			if v := c.vals[a.s.depIdx[i]]; !v.empty() {
				m[d] = valNative(v)
			}
		}
		return m, true
	case "source":
		return map[string]string{"name": a.s.env.Source, "kind": a.s.env.SourceKind, "url": strings.TrimRight(a.s.env.SourceURL, "/"),
			"tenant": a.s.env.Tenant, "stream": c.rec.Stream, "native_id": c.rec.NativeID}, true
	case "now":
		return a.s.now, true
	}
	return nil, false
}

// valNative gives a computed field to CEL.
func valNative(v val) any {
	switch v.k {
	case vRaw:
		return v.raw
	case vString:
		return v.s
	case vNumber:
		return v.f
	case vBool:
		return v.b
	case vTime, vDate:
		return v.t
	case vList:
		return v.l
	case vMap:
		return v.m
	}
	return nil
}

// celToVal turns an expression's result into a field value before conversion.
func celToVal(v ref.Val) val {
	switch x := v.(type) {
	case types.String:
		return strVal(string(x))
	case types.Double:
		return val{k: vNumber, f: float64(x)}
	case types.Int:
		return val{k: vNumber, f: float64(x)}
	case types.Uint:
		return val{k: vNumber, f: float64(x)}
	case types.Bool:
		return val{k: vBool, b: bool(x)}
	case types.Timestamp:
		return val{k: vTime, t: x.Time.UTC()}
	case types.Null:
		return val{}
	case *types.Optional:
		if x.HasValue() {
			return celToVal(x.GetValue())
		}
		return val{}
	case traits.Mapper:
		m := map[string]string{}
		it := x.Iterator()
		for it.HasNext() == types.True {
			k := it.Next()
			m[celToVal(k).text()] = celToVal(x.Get(k)).text()
		}
		return val{k: vMap, m: m}
	case traits.Lister:
		var l []string
		it := x.Iterator()
		for it.HasNext() == types.True {
			if s := celToVal(it.Next()).text(); s != "" {
				l = append(l, s)
			}
		}
		return val{k: vList, l: l}
	}
	if n, ok := v.Value().(json.Number); ok {
		return rawVal(n)
	}
	return strVal(fmt.Sprint(v.Value()))
}

// jsonAdapter gives decoded JSON (json.Number, map[string]any, []any) to CEL without
// converting a whole payload up front: maps and lists are wrapped and read on access.
type jsonAdapter struct{ base types.Adapter }

func (a jsonAdapter) NativeToValue(v any) ref.Val {
	switch x := v.(type) {
	case nil:
		return types.NullValue
	case string:
		return types.String(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return types.String(string(x))
		}
		return types.Double(f)
	case map[string]any:
		return types.NewStringInterfaceMap(a, x)
	case []any:
		return types.NewDynamicList(a, x)
	case []string:
		return types.NewStringList(a, x)
	case map[string]string:
		return types.NewStringStringMap(a, x)
	case time.Time:
		return types.Timestamp{Time: x}
	}
	return a.base.NativeToValue(v)
}
