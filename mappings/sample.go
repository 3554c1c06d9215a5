package mappings

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Sample runs a mapping over stored records to see what it would do before it is applied:
// the problems it meets, the paths that never match and the values its value maps do not
// know. It is what `validate` (against data) and `preview` build on. Not safe for
// concurrent use.
type Sample struct {
	mp        *Mapper
	records   map[string]int // per stream
	blockRows map[*block]int
	paths     []pathStat // by pathSrc.id
	unmapped  map[unmappedKey]*Unmapped
	problems  map[problemKey]int
	examples  []Problem
	required  map[string]bool // per stream: the mapping requires columns of it
	missing   map[missingColumn]*missingStat
	checkOnly bool // NewCheckSample
	errOnly   bool // NewErrorSample
}

// missingStat is where a required column was missing: rows per table.
type missingStat struct {
	rows   int
	tables map[string]int
}

// MaxProblemExamples bounds the problems a Sample keeps whole; all are counted.
const MaxProblemExamples = 200

type pathStat struct {
	evals int
	hits  []int // per alternative
}

type unmappedKey struct {
	f     *cfield
	value string
}

type problemKey struct{ entity, field, message string }

// Unmapped is a source value a value map did not know, with how often it was seen.
type Unmapped struct {
	Entity, Field, Value string
	Count                int
	// Default is what the value became (the field's default); empty when it was left empty.
	Default string
	Pos     Pos
}

// ProblemCount is a run-time problem and how many records had it.
type ProblemCount struct {
	Entity, Field, Message string
	Count                  int
}

// NewSample starts a sample of the mapping.
func (mp *Mapper) NewSample() *Sample {
	return &Sample{mp: mp, records: map[string]int{}, blockRows: map[*block]int{},
		paths: make([]pathStat, mp.paths), unmapped: map[unmappedKey]*Unmapped{}, problems: map[problemKey]int{},
		required: map[string]bool{}, missing: map[missingColumn]*missingStat{}}
}

// NewCheckSample starts a sample for Diagnostics only (validate): fields that no
// diagnostic reads (no value map, no path, not deciding whether a row exists, nor read
// by such a field) are not computed, so its rows are incomplete and its run-time
// problems partial; its Diagnostics are those of NewSample.
func (mp *Mapper) NewCheckSample() *Sample {
	s := mp.NewSample()
	s.checkOnly = true
	return s
}

// NewErrorSample starts a sample for the errors of Diagnostics only (apply): it computes
// only the fields with a value map and no default (and what they read), in the blocks
// that have any, and checks required columns; its Diagnostics are the errors of
// NewSample's, without warnings. When such a field reads transitions it is a check sample.
func (mp *Mapper) NewErrorSample() *Sample {
	s := mp.NewCheckSample()
	for _, b := range mp.blocks {
		if b.errTx {
			return s
		}
	}
	s.errOnly = true
	return s
}

// Streams returns the streams the sample needs records of (an error sample: those with
// fields it computes or required columns; a check or full sample: all of the mapping's).
func (s *Sample) Streams() []string {
	if !s.errOnly {
		return s.mp.Streams()
	}
	var out []string
	for _, st := range s.mp.streams {
		if len(s.mp.errBlocks[st]) > 0 || len(s.mp.RequiredColumns(st)) > 0 {
			out = append(out, st)
		}
	}
	return out
}

// mask is which fields of b the sample computes; nil: all.
func (s *Sample) mask(b *block) []bool {
	switch {
	case s == nil:
		return nil
	case s.errOnly:
		return b.errCheck
	case s.checkOnly:
		return b.check
	}
	return nil
}

// Map maps one record as Mapper.Map does, and records what happened.
func (s *Sample) Map(rec Record) ([]Row, []Problem) {
	if len(s.mp.byStream[rec.Stream]) > 0 {
		s.records[rec.Stream]++
	}
	rows, probs := s.mp.mapRecord(rec, s)
	s.checkColumns(rec)
	for _, p := range probs {
		s.problems[problemKey{p.Entity, p.Field, generalise(p.Message)}]++
		if len(s.examples) < MaxProblemExamples {
			s.examples = append(s.examples, p)
		}
	}
	return rows, probs
}

// Merge adds what o saw to s, o's problem examples after s's: samples of consecutive
// chunks of records, mapped in parallel and merged in order, equal the sample of all the
// records mapped in one. o must come from the same Mapper. Whatever a Sample counts must
// be merged here.
func (s *Sample) Merge(o *Sample) {
	for k, n := range o.records {
		s.records[k] += n
	}
	for b, n := range o.blockRows {
		s.blockRows[b] += n
	}
	for p := range o.paths {
		st, have := &o.paths[p], &s.paths[p]
		if have.hits == nil {
			*have = pathStat{evals: st.evals, hits: append([]int(nil), st.hits...)}
			continue
		}
		have.evals += st.evals
		for i, h := range st.hits {
			have.hits[i] += h
		}
	}
	for k, u := range o.unmapped {
		if have := s.unmapped[k]; have != nil {
			have.Count += u.Count
		} else {
			c := *u
			s.unmapped[k] = &c
		}
	}
	for k, n := range o.problems {
		s.problems[k] += n
	}
	for m, st := range o.missing {
		have := s.missing[m]
		if have == nil {
			have = &missingStat{tables: map[string]int{}}
			s.missing[m] = have
		}
		have.rows += st.rows
		for t, n := range st.tables {
			have.tables[t] += n
		}
	}
	for _, p := range o.examples {
		if len(s.examples) >= MaxProblemExamples {
			break
		}
		s.examples = append(s.examples, p)
	}
}

// checkColumns notes the required columns the record's table lacks.
func (s *Sample) checkColumns(rec Record) {
	req, ok := s.required[rec.Stream]
	if !ok {
		req = len(s.mp.RequiredColumns(rec.Stream)) > 0
		s.required[rec.Stream] = req
	}
	if !req {
		return
	}
	miss := s.mp.missingColumns(rec.Stream, rec.Payload)
	label := ""
	if len(miss) > 0 {
		label = tableLabel(rec.Payload)
	}
	for _, m := range miss {
		st := s.missing[m]
		if st == nil {
			st = &missingStat{tables: map[string]int{}}
			s.missing[m] = st
		}
		st.rows++
		st.tables[label]++
	}
}

// tableLabel names the table of a tabular payload: a spreadsheet's tab (Google Sheets)
// or a sheet (Smartsheet). Read apart from the mapping's decode, which keeps only what the
// mapping reads, and only for records that lack a column.
func tableLabel(payload []byte) string {
	var p struct {
		Tab       string `json:"tab"`
		TableName string `json:"table_name"`
		TableID   string `json:"table_id"`
		Sheet     *struct {
			ID   json.Number `json:"id"`
			Name string      `json:"name"`
		} `json:"sheet"`
	}
	_ = json.Unmarshal(payload, &p)
	switch {
	case p.Tab != "":
		return fmt.Sprintf("spreadsheet %q tab %q", p.TableName, p.Tab)
	case p.Sheet != nil:
		return fmt.Sprintf("sheet %q (%s)", p.Sheet.Name, p.Sheet.ID)
	case p.TableID != "":
		return fmt.Sprintf("table %q", p.TableID)
	}
	return "stored records"
}

// generalise drops the quoted value from a problem message so that problems group:
// `value "Blocked" is not in the value map` counts with the other unmapped values.
func generalise(msg string) string {
	i := strings.IndexByte(msg, '"')
	j := strings.LastIndexByte(msg, '"')
	if i < 0 || j <= i {
		return msg
	}
	return msg[:i] + "…" + msg[j+1:]
}

func (s *Sample) evalPath(p *pathSrc, c *rowCtx) val {
	st := &s.paths[p.id]
	if st.hits == nil {
		st.hits = make([]int, len(p.alts))
	}
	st.evals++
	for i, alt := range p.alts {
		start := c.root
		if alt.Level >= 0 {
			if alt.Level >= len(c.elems) {
				continue
			}
			start = c.elems[alt.Level]
		}
		if v := get(start, alt.Segs); !isEmpty(v) {
			st.hits[i]++
			return rawVal(v)
		}
	}
	return val{}
}

func (s *Sample) unmappedValue(b *block, f *cfield, value string) {
	k := unmappedKey{f, value}
	u := s.unmapped[k]
	if u == nil {
		u = &Unmapped{Entity: b.name, Field: f.name, Value: value, Pos: f.valuesPos}
		if f.def != nil {
			u.Default = f.def.text()
		}
		s.unmapped[k] = u
	}
	u.Count++
}

// Records is how many records of each stream were mapped.
func (s *Sample) Records() map[string]int {
	out := make(map[string]int, len(s.records))
	for k, v := range s.records {
		out[k] = v
	}
	return out
}

// Unmapped lists the values value maps did not know, most frequent first.
func (s *Sample) Unmapped() []Unmapped {
	out := make([]Unmapped, 0, len(s.unmapped))
	for _, u := range s.unmapped {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Entity+a.Field != b.Entity+b.Field {
			return a.Entity+"."+a.Field < b.Entity+"."+b.Field
		}
		return a.Value < b.Value
	})
	return out
}

// Problems counts the run-time problems by entity, field and kind, most frequent first.
func (s *Sample) Problems() []ProblemCount {
	out := make([]ProblemCount, 0, len(s.problems))
	for k, n := range s.problems {
		out = append(out, ProblemCount{Entity: k.entity, Field: k.field, Message: k.message, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return fmt.Sprint(out[i]) < fmt.Sprint(out[j])
	})
	return out
}

// ProblemExamples returns the first problems met, whole (record ids included).
func (s *Sample) ProblemExamples() []Problem { return append([]Problem(nil), s.examples...) }

// Diagnostics turns what the stored records showed into problems located in the file:
// value maps that leave observed values unmapped (errors when the field has no default,
// since those values would be left empty), and paths that never matched and blocks that
// produced nothing (warnings: the data may simply not have them yet).
func (s *Sample) Diagnostics() []Diagnostic {
	out := s.diagnostics()
	if s.errOnly { // it counted no rows nor paths: what it would warn of is unknown
		out = slices.DeleteFunc(out, func(d Diagnostic) bool { return d.Warning })
	}
	return out
}

func (s *Sample) diagnostics() []Diagnostic {
	var out []Diagnostic
	for _, u := range s.Unmapped() {
		d := Diagnostic{Pos: u.Pos, Key: "entities." + u.Entity + ".fields." + u.Field + ".values"}
		if u.Default == "" {
			d.Message = fmt.Sprintf("value %s is not in the value map: %s left empty", quote(u.Value), plural(u.Count, "row"))
			d.Hint = fmt.Sprintf("add %s: <%s> to values, or set default:", yamlKey(u.Value), u.Field)
		} else {
			d.Warning = true
			d.Message = fmt.Sprintf("value %s is not in the value map: %s took the default %q", quote(u.Value), plural(u.Count, "row"), u.Default)
			d.Hint = fmt.Sprintf("add %s: <%s> to values if the default is wrong for it", yamlKey(u.Value), u.Field)
		}
		out = append(out, d)
	}
	for m, st := range s.missing {
		tables := make([]string, 0, len(st.tables))
		for t := range st.tables {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		if len(tables) > 3 {
			tables = append(tables[:3], fmt.Sprintf("%d more", len(tables)-3))
		}
		out = append(out, Diagnostic{Pos: m.pos, Key: m.key,
			Message: fmt.Sprintf("column %q is not in %s (%s)", m.column, strings.Join(tables, ", "), plural(st.rows, "stored row")),
			Hint:    "use the table's title for it, list alternative titles (column: [A, B]), or make it optional with fallback: or default:"})
	}
	for _, b := range s.mp.blocks {
		n := s.records[b.stream]
		if n == 0 {
			continue
		}
		if s.blockRows[b] == 0 {
			out = append(out, Diagnostic{Pos: b.pos, Key: "entities." + b.name, Warning: true,
				Message: fmt.Sprintf("produced no rows from %s", plural(n, "stored "+b.stream+" record")),
				Hint:    "check stream, each and where against a stored record"})
		}
		var srcs []source
		for _, f := range b.fields {
			srcs = append(srcs, f.sources()...)
		}
		for _, cd := range b.pre {
			srcs = append(srcs, cd.src)
		}
		for _, src := range srcs {
			walkSrc(src, func(x source) {
				p, ok := x.(*pathSrc)
				if !ok {
					return
				}
				st := &s.paths[p.id]
				if st.evals == 0 {
					return
				}
				for i, alt := range p.alts {
					if st.hits[i] == 0 {
						out = append(out, Diagnostic{Pos: p.pos, Key: p.key, Warning: true,
							Message: fmt.Sprintf("path %q never matched in %s", alt.Text, plural(st.evals, "row")),
							Hint:    "no stored " + b.stream + " record has a value there; compare it with a stored payload"})
					}
				}
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pos.Line != out[j].Pos.Line {
			return out[i].Pos.Line < out[j].Pos.Line
		}
		return out[i].Pos.Column < out[j].Pos.Column
	})
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// yamlKey quotes a value map key when YAML needs it.
func yamlKey(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`") || strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q", s)
	}
	return s
}
