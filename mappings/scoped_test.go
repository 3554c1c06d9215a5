package mappings

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse"
)

const scopedFields = `
status_category:
  path: fields.status.name
  values: {Done: done, "In Progress": in_progress}
  scoped:
    - when: {path: fields.project.key, equals: OPS}
      values: {Resolved: done, Triage: todo, Done: in_progress}
    - when: {path: fields.issuetype.name, in: [Bug]}
      values: {Verified: done}
  default: todo
`

func TestScopedValueMaps(t *testing.T) {
	mp := compile(t, "entities:\n  work_items:\n    stream: s\n    fields:\n      item_id: {value: X}\n"+indentBlock(scopedFields, "      "))
	for _, tc := range []struct{ payload, want string }{
		{`{"fields":{"project":{"key":"OPS"},"status":{"name":"Resolved"}}}`, "done"},           // OPS scope
		{`{"fields":{"project":{"key":"OPS"},"status":{"name":"triage"}}}`, "todo"},             // scope, case-insensitive
		{`{"fields":{"project":{"key":"OPS"},"status":{"name":"Done"}}}`, "in_progress"},        // scope beats values
		{`{"fields":{"project":{"key":"OPS"},"status":{"name":"In Progress"}}}`, "in_progress"}, // falls to values
		{`{"fields":{"project":{"key":"OPS"},"status":{"name":"Verified"}}}`, "todo"},           // only the first matching scope
		{`{"fields":{"project":{"key":"WEB"},"issuetype":{"name":"Bug"},"status":{"name":"Verified"}}}`, "done"},
		{`{"fields":{"project":{"key":"WEB"},"status":{"name":"Resolved"}}}`, "todo"}, // other projects: default
		{`{"fields":{"project":{"key":"WEB"},"status":{"name":"Done"}}}`, "done"},
		{`{"fields":{"project":{"key":"OPS"}}}`, "todo"}, // no status: default
	} {
		rows, probs := mp.Map(Record{Stream: "s", NativeID: "1", Payload: []byte(tc.payload)})
		items := rowsOf(rows, warehouse.WorkItems)
		if len(items) != 1 || items[0]["status_category"] != tc.want || len(probs) != 0 {
			t.Errorf("%s: rows %v problems %v, want status_category %q", tc.payload, items, probs, tc.want)
		}
	}
}

func TestScopedWithoutDefaultCountsUnmapped(t *testing.T) {
	fields := `
		item_type: {path: t}
		status_category: {path: s, scoped: [{when: {from: item_type, equals: Bug}, values: {Fixed: done}}]}
		labels: {path: l, type: list, scoped: [{when: {path: t, equals: Bug}, values: {fe: frontend}}]}
	`
	row, probs := workItem(t, fields, `{"t":"Bug","s":"fixed","l":["fe","be"]}`)
	if row["status_category"] != "done" || !reflect.DeepEqual(row["labels"], []string{"frontend", "be"}) || len(probs) != 0 {
		t.Errorf("bug: row %v problems %v", row, probs)
	}
	row, probs = workItem(t, fields, `{"t":"Story","s":"Fixed","l":["fe"]}`)
	if row["status_category"] != "" || !reflect.DeepEqual(row["labels"], []string{"fe"}) {
		t.Errorf("story: row %v", row)
	}
	if len(probs) != 1 || probs[0].Field != "status_category" || !strings.Contains(probs[0].Message, `"Fixed" is not in the value map`) {
		t.Errorf("story: problems %v, want the unmapped status", probs)
	}
}

func TestScopedUnmappedInSample(t *testing.T) {
	text := "entities:\n  work_items:\n    stream: s\n    fields:\n      item_id: {value: X}\n      status_category:\n        path: s\n        scoped:\n          - when: {path: p, equals: OPS}\n            values: {Resolved: done}\n"
	mp, diags := Check("m.yaml", []byte(text), nil, testEnv)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	s := mp.NewSample()
	s.Map(Record{Stream: "s", NativeID: "1", Payload: []byte(`{"p":"OPS","s":"Resolved"}`)})
	s.Map(Record{Stream: "s", NativeID: "2", Payload: []byte(`{"p":"WEB","s":"Resolved"}`)})
	var found bool
	for _, d := range s.Diagnostics() {
		if strings.Contains(d.Message, `"Resolved"`) && d.Pos.Line == 8 && !d.Warning {
			found = true
		}
	}
	if !found {
		t.Errorf("want an error at the scoped line for the WEB record: %v", s.Diagnostics())
	}
}

func TestFallbackSource(t *testing.T) {
	mp := compile(t, `
entities:
  transitions:
    stream: s
    each: changelog[*]
    fields:
      item_id: {template: "{source}:{path:id}"}
      transition_id: {path: "@.id"}
      at: {path: "@.at"}
      to_value: {path: "@.to"}
      to_category: {from: to_value, values: {Done: done}, default: in_progress}
  work_items:
    stream: s
    fields:
      item_id: {template: "{source}:{path:id}"}
      resolved_at: {path: fields.resolutiondate, type: time, fallback: {last_transition: {to_category: done}}}
      status: {path: fields.status, fallback: {column: State, fallback: {value: Open}}}
      status_category:
        path: fields.cat
        fallback: {path: fields.status}
        values: {Closed: done}
        default: todo
`)
	for _, tc := range []struct {
		payload             string
		resolved            any
		status, statusCateg string
	}{
		{`{"id":"1","fields":{"resolutiondate":"2024-02-01T10:00:00.000+0100","status":"Closed"},"changelog":[{"id":"a","at":"2024-03-01T00:00:00Z","to":"Done"}]}`,
			tp("2024-02-01T09:00:00Z"), "Closed", "done"},
		{`{"id":"2","fields":{"resolutiondate":null},"cells":{"State":"Shipped"},"changelog":[{"id":"a","at":"2024-03-01T00:00:00Z","to":"Done"},{"id":"b","at":"2024-03-02T00:00:00Z","to":"Doing"}]}`,
			tp("2024-03-01T00:00:00Z"), "Shipped", "todo"},
		{`{"id":"3","fields":{"cat":"Closed"}}`, (*time.Time)(nil), "Open", "done"},
	} {
		rows, probs := mp.Map(Record{Stream: "s", NativeID: "1", Payload: []byte(tc.payload)})
		wi := rowsOf(rows, warehouse.WorkItems)
		if len(wi) != 1 || len(probs) != 0 {
			t.Fatalf("%s: rows %v problems %v", tc.payload, wi, probs)
		}
		if !reflect.DeepEqual(wi[0]["resolved_at"], tc.resolved) || wi[0]["status"] != tc.status || wi[0]["status_category"] != tc.statusCateg {
			t.Errorf("%s: resolved_at %v status %q status_category %q", tc.payload, deref(wi[0]["resolved_at"]), wi[0]["status"], wi[0]["status_category"])
		}
	}
}

func TestScopedAndFallbackProblems(t *testing.T) {
	got := problemsOf(t, `entities:
  work_items:
    stream: s
    fields:
      item_id: {value: X}
      status_category:
        path: s
        scoped:
          - when: {path: p, equals: OPS}
          - values: {A: b}
          - when: {path: p, equals: X, in: [Y]}
            values: {A: b}
          - when: {from: nope, equals: X}
            values: {A: b}
      estimate:
        path: e
        scoped: [{when: {column: Size, present: true}, values: {S: small}}]
      created_at: {path: c, scoped: [{when: {path: p, equals: x}, values: {a: b}}]}
      resolved_at: {path: r, fallback: {path: q, type: date, default: "2024-01-01"}}
      title: {path: t, fallback: {}}
      labels: {path: l, fallback: {path: "@.x"}}
      status: {lookup: {stream: st, path: name, by: {path: a, fallback: {path: b}}}}
`)
	wantProblems(t, got,
		"m.yaml:18:29: entities.work_items.fields.created_at.scoped: a value map does not apply to type time",
		`m.yaml:17:56: entities.work_items.fields.estimate.scoped[0].values.S: expected a number, found "small"`,
		"m.yaml:19:50: entities.work_items.fields.resolved_at.fallback.type: a fallback gives only a source; type does not apply here",
		"m.yaml:19:62: entities.work_items.fields.resolved_at.fallback.default: a fallback gives only a source",
		"m.yaml:22:63: entities.work_items.fields.status.lookup.by.fallback: fallback cannot be used in a lookup's by",
		"m.yaml:9:17: entities.work_items.fields.status_category.scoped[0].values: missing values",
		"m.yaml:10:19: entities.work_items.fields.status_category.scoped[1].when: missing when",
		"m.yaml:11:19: entities.work_items.fields.status_category.scoped[2].when: a condition makes exactly one comparison",
		"m.yaml:20:34: entities.work_items.fields.title.fallback: no source",
		`m.yaml:6:7: entities.work_items.fields.status_category: reads field "nope", which this entity does not map`,
		`m.yaml:21:7: entities.work_items.fields.labels: path "@.x" uses @ but the entity has no each`,
	)
}

// indentBlock indents a YAML block keeping its own relative indentation.
func indentBlock(s, by string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestJSONSchemaHasIssue7Keys(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties map[string]map[string]any
		Defs       map[string]struct {
			Properties map[string]map[string]any
			Required   []string
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Properties["identities"]["$ref"] != "#/$defs/Identities" || s.Defs["Identities"].Properties["aliases"] == nil {
		t.Errorf("identities: %v %v", s.Properties["identities"], s.Defs["Identities"])
	}
	if !reflect.DeepEqual(s.Defs["Alias"].Required, []string{"canonical", "also"}) {
		t.Errorf("alias required %v", s.Defs["Alias"].Required)
	}
	if !reflect.DeepEqual(s.Defs["ValueScope"].Required, []string{"when", "values"}) {
		t.Errorf("scope required %v", s.Defs["ValueScope"].Required)
	}
	if s.Defs["Field"].Properties["fallback"]["$ref"] != "#/$defs/Field" || s.Defs["Field"].Properties["scoped"]["type"] != "array" {
		t.Errorf("field: fallback %v scoped %v", s.Defs["Field"].Properties["fallback"], s.Defs["Field"].Properties["scoped"])
	}
}
