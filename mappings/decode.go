package mappings

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Parse reads a mapping file. Errors (*ParseError) name the file, line, column and key of
// every problem found. base is the kind's built-in default mapping used by
// `extends: default` (nil if none); it is not modified.
func Parse(filename string, data []byte, base *Mapping) (*Mapping, error) {
	root, err := parseYAML(filename, data)
	if err != nil {
		return nil, err
	}
	m := &Mapping{}
	d := &decoder{}
	if root.kind == yNull {
		d.add(root.pos, "", "the mapping file is empty")
		return nil, d.err()
	}
	d.decode(root, reflect.ValueOf(m).Elem(), "")
	if m.Version == 0 && !m.has("version") {
		m.Version = 1
	} else if m.Version != 1 && m.has("version") {
		d.add(m.at("version"), "version", "unknown format version %d; this pmohub reads version 1", m.Version)
	}
	if m.Extends != "" {
		switch {
		case m.Extends != "default":
			d.hint(m.at("extends"), "extends", "the only value is default", "unknown base mapping %q", m.Extends)
		case base == nil:
			d.add(m.at("extends"), "extends", "this source kind has no built-in default mapping to extend")
		default:
			m = merge(base, m)
		}
	}
	for name, e := range m.Entities {
		if e == nil {
			delete(m.Entities, name)
			continue
		}
		for fname, f := range e.Fields {
			if f == nil {
				delete(e.Fields, fname)
			}
		}
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return m, nil
}

// DefaultFor parses a source kind's built-in mapping (connectors.Kind.Mapping).
func DefaultFor(kind string, builtin []byte) (*Mapping, error) {
	if len(builtin) == 0 {
		return nil, nil
	}
	return Parse(kind+" built-in mapping", builtin, nil)
}

// merge lays over on top of base: entities named in over replace base's entity keys they
// set, fields replace base's fields one by one, and null removes an entity or field.
func merge(base, over *Mapping) *Mapping {
	out := &Mapping{Meta: over.Meta, Version: over.Version, Extends: over.Extends, Entities: map[string]*Entity{}, Identities: base.Identities}
	if over.has("identities") {
		out.Identities = over.Identities // replaced whole; null removes the built-in one
	}
	for name, e := range base.Entities {
		out.Entities[name] = cloneEntity(e)
	}
	for name, oe := range over.Entities {
		be, ok := out.Entities[name]
		if oe == nil || !ok {
			out.Entities[name] = oe
			continue
		}
		if oe.has("table") {
			be.Table = oe.Table
		}
		if oe.has("stream") {
			be.Stream = oe.Stream
		}
		if oe.has("each") {
			be.Each = oe.Each
		}
		if oe.has("where") {
			be.Where = oe.Where
		}
		if oe.has("shared") {
			be.Shared = oe.Shared
		}
		if oe.has("exact_history") {
			be.ExactHistory = oe.ExactHistory
		}
		for k, p := range oe.Keys {
			be.Keys[k] = p
		}
		for fname, f := range oe.Fields {
			be.Fields[fname] = f
		}
	}
	return out
}

func cloneEntity(e *Entity) *Entity {
	if e == nil {
		return nil
	}
	c := *e
	c.Keys = make(map[string]Pos, len(e.Keys))
	for k, p := range e.Keys {
		c.Keys[k] = p
	}
	c.Fields = make(map[string]*Field, len(e.Fields))
	for k, f := range e.Fields {
		c.Fields[k] = f // fields are replaced whole, never edited: sharing is safe
	}
	return &c
}

// decoder fills the format's Go types from a ynode tree, strictly, collecting problems.
type decoder struct{ problems }

var (
	stringsType = reflect.TypeOf(Strings(nil))
)

func (d *decoder) decode(n *ynode, v reflect.Value, key string) {
	t := v.Type()
	switch {
	case t == stringsType:
		ss, ok := n.strs()
		if !ok || (n.kind == ySeq && len(ss) == 0) {
			d.wrongType(n, key, "a text or a list of texts")
			return
		}
		v.Set(reflect.ValueOf(Strings(ss)))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if n.kind == yNull {
			v.Set(reflect.Zero(t)) // null: unset (or, in a map, removed by extends)
			return
		}
		nv := reflect.New(t.Elem())
		d.decode(n, nv.Elem(), key)
		v.Set(nv)
	case reflect.String:
		if n.kind != yScalar {
			d.wrongType(n, key, "a text")
			return
		}
		v.SetString(n.text)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.ToLower(n.text))
		if n.kind != yScalar || n.quoted || err != nil {
			d.wrongType(n, key, "true or false")
			return
		}
		v.SetBool(b)
	case reflect.Int:
		i, err := strconv.Atoi(n.text)
		if n.kind != yScalar || n.quoted || err != nil {
			d.wrongType(n, key, "a whole number")
			return
		}
		v.SetInt(int64(i))
	case reflect.Slice:
		if n.kind != ySeq {
			d.wrongType(n, key, "a list")
			return
		}
		s := reflect.MakeSlice(t, len(n.items), len(n.items))
		for i, it := range n.items {
			d.decode(it, s.Index(i), fmt.Sprintf("%s[%d]", key, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.kind != yMap {
			d.wrongType(n, key, "a mapping of names to values")
			return
		}
		m := reflect.MakeMapWithSize(t, len(n.keys))
		for _, e := range n.keys {
			ev := reflect.New(t.Elem()).Elem()
			if e.value.kind == yNull && t.Elem().Kind() == reflect.String {
				// values: {Done: ~} maps to empty
			} else {
				d.decode(e.value, ev, joinKey(key, e.key))
			}
			if ev.Kind() == reflect.Pointer && !ev.IsNil() {
				// A named block is where its name is written.
				if f := ev.Elem().FieldByName("Name"); f.IsValid() && f.Kind() == reflect.String {
					f.SetString(e.key)
				}
				if mh, ok := ev.Interface().(metaHolder); ok {
					mh.meta().Pos = e.pos
				}
			}
			m.SetMapIndex(reflect.ValueOf(e.key), ev)
		}
		v.Set(m)
	case reflect.Struct:
		d.decodeStruct(n, v, key)
	default:
		panic("mappings: unsupported type in format: " + t.String())
	}
}

func (d *decoder) decodeStruct(n *ynode, v reflect.Value, key string) {
	t := v.Type()
	if n.kind != yMap {
		d.wrongType(n, key, "a mapping of keys")
		return
	}
	meta := v.FieldByName("Meta").Addr().Interface().(*Meta)
	meta.Pos = n.pos
	meta.Keys = make(map[string]Pos, len(n.keys))
	for _, e := range n.keys {
		i, ok := fieldByYAML(t, e.key)
		if !ok {
			d.unknownKey(e, t, key)
			continue
		}
		meta.Keys[e.key] = e.pos
		d.decode(e.value, v.Field(i), joinKey2(key, e.key))
	}
}

func joinKey2(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// fieldByYAML finds the struct field with the yaml name.
func fieldByYAML(t reflect.Type, name string) (int, bool) {
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("yaml"); tag == name && tag != "-" {
			return i, true
		}
	}
	return 0, false
}

// yamlKeys lists the keys a struct type accepts, for hints.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	sort.Strings(out)
	return out
}

func (d *decoder) unknownKey(e ykv, t reflect.Type, parent string) {
	keys := yamlKeys(t)
	hint := "known keys: " + strings.Join(keys, ", ")
	if s := closest(e.key, keys); s != "" {
		hint = "did you mean " + s + "?"
	}
	d.hint(e.pos, joinKey2(parent, e.key), hint, "unknown key %q", e.key)
}

func (d *decoder) wrongType(n *ynode, key, want string) {
	got := n.kind.String()
	if n.kind == yScalar {
		got = strconv.Quote(n.text)
	}
	d.add(n.pos, key, "expected %s, found %s", want, got)
}

// closest returns the candidate within edit distance 2 of s, if any: the usual typo.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if dd := editDistance(s, c); dd < bestD {
			best, bestD = c, dd
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
