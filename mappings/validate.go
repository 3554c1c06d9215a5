package mappings

import (
	"errors"
	"reflect"
	"sort"
)

// Check parses and compiles a mapping and returns every problem in it, in file order. The
// mapper is nil when there are problems. base is the kind's built-in mapping (for
// `extends: default`), or nil.
func Check(filename string, text []byte, base *Mapping, env Env) (*Mapper, []Diagnostic) {
	m, err := Parse(filename, text, base)
	if err == nil {
		var mp *Mapper
		if mp, err = m.Compile(env); err == nil {
			return mp, nil
		}
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		return nil, []Diagnostic{{Pos: Pos{File: filename}, Message: err.Error()}}
	}
	out := append([]Diagnostic(nil), pe.Problems...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pos.Line != out[j].Pos.Line {
			return out[i].Pos.Line < out[j].Pos.Line
		}
		return out[i].Pos.Column < out[j].Pos.Column
	})
	return nil, out
}

// Changes summarises what differs between two mappings, entity by entity and field by
// field ("changed work_items.estimate", "added links", …), for the history's notes.
// Positions and formatting do not count.
func Changes(old, new *Mapping) []string {
	var out []string
	names := map[string]bool{}
	for n := range old.Entities {
		names[n] = true
	}
	for n := range new.Entities {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	if !sameShape(old.Identities, new.Identities) {
		out = append(out, "changed identities")
	}
	for _, n := range sorted {
		oe, ne := old.Entities[n], new.Entities[n]
		switch {
		case oe == nil:
			out = append(out, "added "+n)
			continue
		case ne == nil:
			out = append(out, "removed "+n)
			continue
		}
		if !sameShape(oe.Table, ne.Table) || !sameShape(oe.Stream, ne.Stream) || !sameShape(oe.Each, ne.Each) ||
			!sameShape(oe.Where, ne.Where) || !sameShape(oe.Shared, ne.Shared) || !sameShape(oe.ExactHistory, ne.ExactHistory) {
			out = append(out, "changed "+n+" (stream, each, where, table or exact_history)")
		}
		fields := map[string]bool{}
		for f := range oe.Fields {
			fields[f] = true
		}
		for f := range ne.Fields {
			fields[f] = true
		}
		fs := make([]string, 0, len(fields))
		for f := range fields {
			fs = append(fs, f)
		}
		sort.Strings(fs)
		for _, f := range fs {
			of, nf := oe.Fields[f], ne.Fields[f]
			switch {
			case of == nil:
				out = append(out, "added "+n+"."+f)
			case nf == nil:
				out = append(out, "removed "+n+"."+f)
			case !sameShape(of, nf):
				out = append(out, "changed "+n+"."+f)
			}
		}
	}
	return out
}

// sameShape compares two format values ignoring where they were written (Meta).
func sameShape(a, b any) bool {
	return reflect.DeepEqual(shape(reflect.ValueOf(a)), shape(reflect.ValueOf(b)))
}

func shape(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return shape(v.Elem())
	case reflect.Struct:
		m := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Type == reflect.TypeOf(Meta{}) || f.Tag.Get("yaml") == "-" {
				continue
			}
			m[f.Name] = shape(v.Field(i))
		}
		return m
	case reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		l := make([]any, v.Len())
		for i := range l {
			l[i] = shape(v.Index(i))
		}
		return l
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		m := map[string]any{}
		for _, k := range v.MapKeys() {
			m[k.String()] = shape(v.MapIndex(k))
		}
		return m
	}
	return v.Interface()
}
