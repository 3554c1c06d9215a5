package mappings

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"

	"github.com/pmohub/pmohub/warehouse"
)

// Env is what a compiled mapping knows about its source.
type Env struct {
	Tenant, Source, SourceKind, SourceURL string
	// Now is the `now` of expressions (default: when Compile runs).
	Now time.Time
}

// Mapper is a compiled mapping: everything parsed and checked once, so Map only walks.
// A Mapper is safe for concurrent Map calls once its lookups are set.
type Mapper struct {
	env      Env
	blocks   []*block            // run order: transitions before the blocks that read them
	byStream map[string][]*block // blocks per stream, in run order
	plans    map[string]*plan    // what to decode of each stream's payloads
	// errBlocks and errPlans are byStream and plans for an error sample (NewErrorSample):
	// the blocks with fields whose problems are errors, and what those fields read.
	errBlocks  map[string][]*block
	errPlans   map[string]*plan
	arenas     sync.Pool // *decodeArena: maps of decoded payloads, reused
	paths      int       // how many path sources it has (pathSrc.id)
	lookups    []*lookupIndex
	streams    []string
	lkStreams  []string
	sourceKind any // env.SourceKind, boxed once for every row
	// identities: alias → canonical, as written and lower-cased
	aliases, foldedAliases map[string]string
}

// colKind is the Go type a column takes in a Row.
type colKind uint8

const (
	cString   colKind = iota
	cTime             // time.Time (non-nullable DateTime64)
	cTimeNull         // *time.Time
	cDate             // *time.Time at UTC midnight
	cFloat            // *float64
	cList             // []string
	cMap              // map[string]string
)

func kindOf(chType string) colKind {
	switch {
	case strings.HasPrefix(chType, "Nullable(DateTime64"):
		return cTimeNull
	case strings.HasPrefix(chType, "DateTime64"):
		return cTime
	case strings.HasPrefix(chType, "Nullable(Date"):
		return cDate
	case strings.HasPrefix(chType, "Nullable(Float"):
		return cFloat
	case strings.HasPrefix(chType, "Array("):
		return cList
	case strings.HasPrefix(chType, "Map("):
		return cMap
	}
	return cString
}

// naturalType is the default `type:` for a column.
func (k colKind) naturalType() valueType {
	switch k {
	case cTime, cTimeNull:
		return typeTime
	case cDate:
		return typeDate
	case cFloat:
		return typeNumber
	case cList:
		return typeList
	case cMap:
		return typeMap
	}
	return typeString
}

// accepts reports whether a field of type t can fill a column of kind k.
func (k colKind) accepts(t valueType) bool {
	switch k {
	case cString:
		return true
	case cTime, cTimeNull, cDate:
		return t == typeTime || t == typeDate
	}
	return k.naturalType() == t
}

// block is a compiled entity block.
type block struct {
	name     string
	pos      Pos
	table    *warehouse.Table
	stream   string
	each     [][][]seg // alternatives, each split at [*] into groups
	levels   int       // each levels (0 without each)
	pre      []*cond   // conditions on the payload, tested before any field
	post     []*cond   // conditions on fields, tested after
	fields   []*cfield // in dependency order
	colField []int     // per table column: index into fields, -1 if unmapped
	colKinds []colKind // per table column: its Go type, read once per row
	attrs    []int     // fields named attributes.<x>
	attrCol  int       // the attributes column, -1 if the table has none
	keyCols  []int     // table column index of each key field
	required []int     // non-nullable time columns: a row without them is skipped
	shared   bool
	exact    []string // exact_history: columns whose exact history the connector reads
	defaults []engineDefault
	// people: where the engine fills canonical_id from the identity aliases (-1: mapped).
	canon   personCols
	needsTx bool // reads transitions of the same record
	txCols  txCols
	// check marks the fields a check against stored records needs (see markChecked).
	check []bool
	// errCheck marks the fields whose problems are errors (a value map without a default)
	// and what they read; errTx: one of them reads transitions (first/last_transition).
	errCheck []bool
	errTx    bool
}

type engineDefault struct {
	col  int
	kind tkind // tNativeID or tSource (source_kind)
}

// txCols are the transitions columns first/last_transition read.
type txCols struct{ at, field, toValue, toCategory int }

type cfield struct {
	name      string
	col       int    // table column, -1 for attributes.<x>
	attr      string // the attributes key
	pos       Pos
	valuesPos Pos
	src       source
	typ       valueType
	out       colKind
	elem      string
	values    map[string]string
	folded    map[string]string
	scopes    []*scope // scoped value maps, tried before values
	def       *val
	trim      bool
	deps      []string
	problem   string // the field's name in problems
}

// Compile checks a mapping against the canonical model (unknown entity or field, missing
// key fields, dependency cycles in from, bad regex, bad type names) and prepares it. The
// error is a *ParseError listing every problem.
func (m *Mapping) Compile(env Env) (*Mapper, error) {
	now := env.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	c := &compiler{env: env, now: now, mp: &Mapper{env: env, byStream: map[string][]*block{}, plans: map[string]*plan{}}, lookupByKey: map[string]*lookupIndex{}}
	names := make([]string, 0, len(m.Entities))
	for n := range m.Entities {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		c.add(m.Pos, "entities", "the mapping produces no entity")
	}
	for _, n := range names {
		if b := c.block(n, m.Entities[n]); b != nil {
			c.mp.blocks = append(c.mp.blocks, b)
		}
	}
	c.identities(m.Identities)
	// Transitions first: work_items' first_transition reads them.
	sort.SliceStable(c.mp.blocks, func(i, j int) bool {
		return c.mp.blocks[i].table == warehouse.Transitions && c.mp.blocks[j].table != warehouse.Transitions
	})
	for _, b := range c.mp.blocks {
		if b.needsTx && !c.hasTransitions(b.stream) {
			e := m.Entities[b.name]
			c.hint(e.Pos, "entities."+b.name, "add a transitions entity reading the same stream",
				"first_transition/last_transition need transitions from stream %q", b.stream)
		}
		if _, ok := c.mp.byStream[b.stream]; !ok {
			c.mp.streams = append(c.mp.streams, b.stream)
		}
		c.mp.byStream[b.stream] = append(c.mp.byStream[b.stream], b)
	}
	for _, l := range c.mp.lookups {
		if !contains(c.mp.lkStreams, l.stream) {
			c.mp.lkStreams = append(c.mp.lkStreams, l.stream)
		}
	}
	sort.Strings(c.mp.streams)
	sort.Strings(c.mp.lkStreams)
	if err := c.err(); err != nil {
		return nil, err
	}
	c.mp.errBlocks, c.mp.errPlans = map[string][]*block{}, map[string]*plan{}
	for s, bs := range c.mp.byStream {
		c.mp.plans[s] = planFor(bs, false)
		for _, b := range bs {
			if slices.Contains(b.errCheck, true) {
				c.mp.errBlocks[s] = append(c.mp.errBlocks[s], b)
			}
		}
		if len(c.mp.errBlocks[s]) > 0 {
			c.mp.errPlans[s] = planFor(c.mp.errBlocks[s], true)
		}
	}
	c.mp.sourceKind = env.SourceKind
	return c.mp, nil
}

func (c *compiler) hasTransitions(stream string) bool {
	for _, b := range c.mp.blocks {
		if b.table == warehouse.Transitions && b.stream == stream {
			return true
		}
	}
	return false
}

type compiler struct {
	problems
	env         Env
	now         time.Time
	cel         *cel.Env
	mp          *Mapper
	lookupByKey map[string]*lookupIndex
}

func (c *compiler) block(name string, e *Entity) *block {
	key := "entities." + name
	tname := name
	if e.Table != "" {
		tname = e.Table
	}
	t := warehouse.TableByName(tname)
	if t == nil {
		names := make([]string, len(warehouse.Canonical))
		for i, t := range warehouse.Canonical {
			names[i] = t.Name
		}
		hint := "entities: " + strings.Join(names, ", ") + "; or set table:"
		if s := closest(tname, names); s != "" {
			hint = "did you mean " + s + "?"
		}
		c.hint(e.at("table"), key, hint, "unknown entity %q", tname)
		return nil
	}
	b := &block{name: name, pos: e.Pos, table: t, stream: e.Stream, attrCol: -1, shared: t == warehouse.People}
	b.exact = e.ExactHistory
	if e.Shared != nil {
		b.shared = *e.Shared
	}
	if e.Stream == "" {
		c.add(e.Pos, key+".stream", "missing stream: which raw stream does %s read?", name)
	}
	for i, ep := range e.Each {
		p, err := ParsePath(ep)
		if err != nil {
			c.add(e.at("each"), key+".each", "%v", err)
			continue
		}
		if p.Level != levelRoot {
			c.add(e.at("each"), key+".each", "each starts at the record root, not at @")
			continue
		}
		groups := splitAll(p.Segs)
		lv := max(1, len(groups)-1)
		if i == 0 {
			b.levels = lv
		} else if lv != b.levels {
			c.add(e.at("each"), key+".each", "every each path must iterate the same number of levels ([*]); %q has %d, the first has %d", ep, lv, b.levels)
		}
		b.each = append(b.each, groups)
	}
	b.colField = make([]int, len(t.Columns))
	b.colKinds = make([]colKind, len(t.Columns))
	for i := range b.colField {
		b.colField[i] = -1
		b.colKinds[i] = kindOf(t.Columns[i].Type)
	}
	cols := map[string]int{}
	for i, col := range t.Columns {
		cols[col.Name] = i
		if col.Name == "attributes" {
			b.attrCol = i
		}
	}
	fnames := make([]string, 0, len(e.Fields))
	for n := range e.Fields {
		fnames = append(fnames, n)
	}
	sort.Strings(fnames)
	byName := map[string]*cfield{}
	var fields []*cfield
	for _, fn := range fnames {
		f := e.Fields[fn]
		fkey := key + ".fields." + fn
		cf := &cfield{name: fn, col: -1, pos: f.Pos, valuesPos: f.at("values"), problem: fn}
		if attr, ok := strings.CutPrefix(fn, "attributes."); ok {
			if b.attrCol < 0 {
				c.add(f.Pos, fkey, "%s has no attributes", t.Name)
				continue
			}
			if attr == "" {
				c.add(f.Pos, fkey, "empty attribute name")
				continue
			}
			cf.attr = attr
			cf.out = cString
		} else if i, ok := cols[fn]; ok {
			cf.col = i
			cf.out = kindOf(t.Columns[i].Type)
		} else {
			names := make([]string, len(t.Columns))
			for i, col := range t.Columns {
				names[i] = col.Name
			}
			hint := "fields of " + t.Name + ": " + strings.Join(names, ", ") + ", or attributes.<name>"
			if s := closest(fn, names); s != "" {
				hint = "did you mean " + s + "?"
			}
			c.hint(f.Pos, fkey, hint, "%s has no field %q", t.Name, fn)
			continue
		}
		c.field(b, e, f, cf, fkey)
		byName[fn] = cf
		fields = append(fields, cf)
	}
	for _, kc := range t.Key {
		if _, ok := byName[kc]; !ok {
			c.hint(e.at("fields"), key+".fields", "every row needs its key", "missing key field %s of %s", kc, t.Name)
		}
		b.keyCols = append(b.keyCols, cols[kc])
	}
	for i, col := range t.Columns {
		if kindOf(col.Type) == cTime {
			if _, ok := byName[col.Name]; !ok {
				c.add(e.at("fields"), key+".fields", "missing field %s: %s rows need it", col.Name, t.Name)
			}
			b.required = append(b.required, i)
		}
	}
	for _, cond := range e.Where {
		cd := c.cond(b, cond, key+".where")
		if cd == nil {
			continue
		}
		if cd.from != "" {
			if _, ok := byName[cd.from]; !ok {
				c.add(cond.at("from"), key+".where.from", "no field %q in this entity", cd.from)
				continue
			}
			b.post = append(b.post, cd)
		} else {
			b.pre = append(b.pre, cd)
		}
	}
	b.fields = c.order(fields, byName, key)
	idx := map[string]int{}
	for i, f := range b.fields {
		idx[f.name] = i
		if f.col >= 0 {
			b.colField[f.col] = i
		} else {
			b.attrs = append(b.attrs, i)
		}
	}
	for _, f := range b.fields {
		for _, s := range f.sources() {
			bindFrom(s, idx)
		}
	}
	for _, cd := range b.post {
		cd.src = &fromSrc{name: cd.from, idx: idx[cd.from]}
	}
	if i, ok := cols["source_kind"]; ok && b.colField[i] < 0 {
		b.defaults = append(b.defaults, engineDefault{col: i, kind: tSource})
	}
	if i, ok := cols["native_id"]; ok && b.colField[i] < 0 && len(b.each) == 0 {
		b.defaults = append(b.defaults, engineDefault{col: i, kind: tNativeID})
	}
	b.canon = personCols{canonical: -1}
	if i, ok := cols["canonical_id"]; ok && t == warehouse.People && b.colField[i] < 0 {
		b.canon = personCols{canonical: i, id: cols["person_id"], email: cols["email"]}
	}
	if t == warehouse.Transitions {
		b.txCols = txCols{at: cols["at"], field: cols["field"], toValue: cols["to_value"], toCategory: cols["to_category"]}
	}
	b.markChecked(idx)
	c.checkLevels(b, e, key)
	return b
}

// markChecked marks the fields whose values a check against stored records reads
// (Mapper.NewCheckSample): those with a value map (unmapped values), those reading a path
// (paths that never match), those deciding whether a row exists (keys, required times,
// from conditions), transitions' columns that first/last_transition read, and every
// field these read. The others (often expressions and templates) need not be computed.
func (b *block) markChecked(idx map[string]int) {
	b.check = make([]bool, len(b.fields))
	mark := b.marker(b.check, idx, nil)
	for i, f := range b.fields {
		need := f.hasMap()
		for _, s := range f.sources() {
			walkSrc(s, func(x source) {
				if _, ok := x.(*pathSrc); ok {
					need = true
				}
			})
		}
		if need {
			mark(i)
		}
	}
	b.errCheck = make([]bool, len(b.fields))
	markErr := b.marker(b.errCheck, idx, func(f *cfield) {
		for _, s := range f.sources() {
			walkSrc(s, func(x source) {
				if _, ok := x.(*txSrc); ok {
					b.errTx = true
				}
			})
		}
	})
	for i, f := range b.fields {
		if f.hasMap() && f.def == nil {
			markErr(i)
		}
	}
	for _, col := range append(slices.Clone(b.keyCols), b.required...) {
		mark(b.colField[col])
	}
	for _, cd := range b.post {
		mark(idx[cd.from])
	}
	if b.table == warehouse.Transitions {
		for _, col := range []int{b.txCols.at, b.txCols.field, b.txCols.toValue, b.txCols.toCategory} {
			mark(b.colField[col])
		}
	}
}

// marker gives a func that marks field i in set, and every field it reads (its deps);
// visit, if not nil, sees each field as it is marked.
func (b *block) marker(set []bool, idx map[string]int, visit func(*cfield)) func(int) {
	var mark func(i int)
	mark = func(i int) {
		if i < 0 || set[i] {
			return
		}
		set[i] = true
		if visit != nil {
			visit(b.fields[i])
		}
		for _, d := range b.fields[i].deps {
			if j, ok := idx[d]; ok {
				mark(j)
			}
		}
	}
	return mark
}

// splitAll splits segments at [*]: a[*].b[*].c gives [a] [b] [c].
func splitAll(segs []seg) [][]seg {
	groups := [][]seg{{}}
	for _, s := range segs {
		if s.kind == segAll {
			groups = append(groups, []seg{})
			continue
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], s)
	}
	return groups
}

// checkLevels resolves @ to the innermost level and checks @N against the block's each.
func (c *compiler) checkLevels(b *block, e *Entity, key string) {
	for _, f := range b.fields {
		for _, s := range f.sources() {
			for _, p := range pathsOf(s) {
				c.checkLevel(b, p, f.pos, key+".fields."+f.name)
			}
		}
	}
	for _, cd := range b.pre {
		for _, p := range pathsOf(cd.src) {
			c.checkLevel(b, p, cd.pos, key+".where")
		}
	}
}

func (c *compiler) checkLevel(b *block, p *Path, pos Pos, key string) {
	switch {
	case p.Level == levelRoot:
	case b.levels == 0:
		c.hint(pos, key, "@ paths read the element of each; without each, write the path from the record root", "path %q uses @ but the entity has no each", p.Text)
	case p.Level == levelInner:
		p.Level = b.levels - 1
	case p.Level >= b.levels:
		c.add(pos, key, "path %q: each has levels @0 to @%d", p.Text, b.levels-1)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// order sorts fields so that every field comes after the fields it reads; a cycle is a
// problem naming its members.
func (c *compiler) order(fields []*cfield, byName map[string]*cfield, key string) []*cfield {
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var out []*cfield
	var stack []string
	var visit func(f *cfield)
	visit = func(f *cfield) {
		switch state[f.name] {
		case done:
			return
		case visiting:
			i := 0
			for i < len(stack) && stack[i] != f.name {
				i++
			}
			cycle := append(append([]string{}, stack[i:]...), f.name)
			c.hint(f.pos, key+".fields."+f.name, "a field cannot depend on itself through from or templates",
				"dependency cycle: %s", strings.Join(cycle, " → "))
			return
		}
		state[f.name] = visiting
		stack = append(stack, f.name)
		for _, d := range f.deps {
			if df, ok := byName[d]; ok {
				visit(df)
			} else {
				c.add(f.pos, key+".fields."+f.name, "reads field %q, which this entity does not map", d)
			}
		}
		stack = stack[:len(stack)-1]
		state[f.name] = done
		out = append(out, f)
	}
	for _, f := range fields {
		visit(f)
	}
	return out
}
