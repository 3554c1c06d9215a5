package mappings

import (
	"fmt"
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
	paths     map[*pathSrc]*pathStat
	unmapped  map[unmappedKey]*Unmapped
	problems  map[problemKey]int
	examples  []Problem
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
		paths: map[*pathSrc]*pathStat{}, unmapped: map[unmappedKey]*Unmapped{}, problems: map[problemKey]int{}}
}

// Map maps one record as Mapper.Map does, and records what happened.
func (s *Sample) Map(rec Record) ([]Row, []Problem) {
	if len(s.mp.byStream[rec.Stream]) > 0 {
		s.records[rec.Stream]++
	}
	rows, probs := s.mp.mapRecord(rec, s)
	for _, p := range probs {
		s.problems[problemKey{p.Entity, p.Field, generalise(p.Message)}]++
		if len(s.examples) < MaxProblemExamples {
			s.examples = append(s.examples, p)
		}
	}
	return rows, probs
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
	st := s.paths[p]
	if st == nil {
		st = &pathStat{hits: make([]int, len(p.alts))}
		s.paths[p] = st
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
				st := s.paths[p]
				if st == nil || st.evals == 0 {
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
