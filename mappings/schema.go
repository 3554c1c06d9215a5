package mappings

import (
	"encoding/json"
	"reflect"
	"strings"
)

// JSONSchema describes the mapping file format (for editors and `pmohub mappings
// schema`). It is derived from the format's Go types, so it cannot drift from the loader.
func JSONSchema() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	root := g.object(reflect.TypeOf(Mapping{}))
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://pmohub.dev/schemas/mapping.json"
	root["title"] = "pmohub mapping"
	root["$defs"] = g.defs
	return json.MarshalIndent(root, "", "  ")
}

type schemaGen struct{ defs map[string]any }

// scalar is any YAML scalar: the loader reads it as text.
var scalar = map[string]any{"type": []string{"string", "number", "boolean"}}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("yaml")
		if name == "" || name == "-" {
			continue
		}
		s := g.of(f.Type)
		if doc := f.Tag.Get("doc"); doc != "" {
			s = withKey(s, "description", doc)
		}
		if enum := f.Tag.Get("enum"); enum != "" {
			s = withKey(s, "enum", strings.Split(enum, ","))
			delete(s, "type")
			s["type"] = "string"
		}
		if f.Tag.Get("required") == "true" {
			required = append(required, name)
		}
		props[name] = s
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func withKey(s map[string]any, k string, v any) map[string]any {
	c := make(map[string]any, len(s)+1)
	for kk, vv := range s {
		c[kk] = vv
	}
	c[k] = v
	return c
}

func (g *schemaGen) of(t reflect.Type) map[string]any {
	if t == stringsType {
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "minItems": 1},
		}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if t.Elem().Kind() == reflect.Struct {
			return g.ref(t.Elem())
		}
		return g.of(t.Elem())
	case reflect.String:
		return withKey(scalar, "type", scalar["type"])
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		v := g.of(t.Elem())
		if t.Elem().Kind() == reflect.Pointer {
			v = map[string]any{"oneOf": []any{v, map[string]any{"type": "null"}}}
		}
		return map[string]any{"type": "object", "additionalProperties": v}
	case reflect.Struct:
		return g.ref(t)
	}
	panic("mappings: no schema for " + t.String())
}

// ref puts a struct in $defs once (Field is recursive through Lookup.By).
func (g *schemaGen) ref(t reflect.Type) map[string]any {
	if _, ok := g.defs[t.Name()]; !ok {
		g.defs[t.Name()] = nil
		g.defs[t.Name()] = g.object(t)
	}
	return map[string]any{"$ref": "#/$defs/" + t.Name()}
}
