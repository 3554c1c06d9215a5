package mappings

import (
	"errors"
	"strings"
	"testing"
)

// problemsOf parses and compiles text and returns every diagnostic as text.
func problemsOf(t *testing.T, text string) []string {
	t.Helper()
	m, err := Parse("m.yaml", []byte(text), nil)
	if err == nil {
		_, err = m.Compile(testEnv)
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("want *ParseError, got %v", err)
	}
	var out []string
	for _, p := range pe.Problems {
		out = append(out, p.String())
	}
	return out
}

func wantProblems(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
		return
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
		}
	}
}

func TestYAMLSyntaxErrorPosition(t *testing.T) {
	got := problemsOf(t, "entities:\n  work_items:\n    stream: [issues\n")
	wantProblems(t, got, "m.yaml:3:13")
	got = problemsOf(t, "entities:\n  a: 1\n  a: 2\n")
	wantProblems(t, got, `m.yaml:3:3: mapping key "a" already defined at [2:3]`)
	got = problemsOf(t, "")
	wantProblems(t, got, "m.yaml:1:1: the mapping file is empty")
}

func TestLoaderListsEveryProblem(t *testing.T) {
	got := problemsOf(t, `
version: 2
entitys: {}
entities:
  work_items:
    stream: issues
    shared: maybe
    fields:
      item_id: {pat: id}
      title: {path: [a, {b: c}]}
`)
	wantProblems(t, got,
		`m.yaml:3:1: entitys: unknown key "entitys" (did you mean entities?)`,
		`m.yaml:7:13: entities.work_items.shared: expected true or false, found "maybe"`,
		`m.yaml:9:17: entities.work_items.fields.item_id.pat: unknown key "pat" (did you mean path?)`,
		`m.yaml:10:21: entities.work_items.fields.title.path: expected a text or a list of texts, found a list`,
		"m.yaml:2:1: version: unknown format version 2",
	)
}

func TestCompileProblems(t *testing.T) {
	got := problemsOf(t, `
entities:
  work_item:
    stream: issues
    fields: {item_id: {path: id}}
  transitions:
    each: "h[*].items[*]"
    fields:
      item_id: {path: id}
      at: {path: "@2.created"}
      field: {path: x, from: y}
  work_items:
    stream: issues
    where: [{path: a, matches: "(["}, {path: b}]
    fields:
      title: {from: status}
      status: {template: "{title}!"}
      estimate: {path: e, type: integer}
      labels: {path: l, type: number}
      stauts: {path: s}
      sprint: {path: "@.name"}
      url: {template: "{nope"}
      created_at: {path: c, default: soon}
      due_date: {path: d, values: {x: y}}
      started_at: {first_transition: {to_category: in_progress}}
`)
	wantProblems(t, got,
		`m.yaml:6:3: entities.transitions.stream: missing stream`,
		`m.yaml:11:24: entities.transitions.fields.field: one source per field; found path and from`,
		`m.yaml:8:5: entities.transitions.fields: missing key field transition_id of transitions`,
		`m.yaml:10:7: entities.transitions.fields.at: path "@2.created": each has levels @0 to @1`,
		`m.yaml:3:3: entities.work_item: unknown entity "work_item" (did you mean work_items?)`,
		`m.yaml:23:29: entities.work_items.fields.created_at.default: expected a date or time, found "soon"`,
		`m.yaml:24:27: entities.work_items.fields.due_date.values: a value map does not apply to type date`,
		`m.yaml:18:27: entities.work_items.fields.estimate.type: unknown type "integer"`,
		`m.yaml:19:25: entities.work_items.fields.labels.type: type number does not fit column labels`,
		`m.yaml:20:7: entities.work_items.fields.stauts: work_items has no field "stauts" (did you mean status?)`,
		`m.yaml:22:13: entities.work_items.fields.url.template: unclosed {`,
		`m.yaml:15:5: entities.work_items.fields: missing key field item_id of work_items`,
		`m.yaml:14:23: entities.work_items.where.matches: bad regular expression`,
		`entities.work_items.where: a condition makes exactly one comparison`,
		`entities.work_items.fields.status: dependency cycle: status → title → status`,
		`m.yaml:21:7: entities.work_items.fields.sprint: path "@.name" uses @ but the entity has no each`,
		`m.yaml:12:3: entities.work_items: first_transition/last_transition need transitions from stream "issues"`,
	)
}

func TestParseErrorText(t *testing.T) {
	err := &ParseError{Problems: []Diagnostic{
		{Pos: Pos{File: "a.yaml", Line: 3, Column: 5}, Key: "entities.x", Message: "bad", Hint: "fix it"},
		{Pos: Pos{File: "a.yaml"}, Message: "worse"},
	}}
	want := "mapping: 2 problems:\n  a.yaml:3:5: entities.x: bad (fix it)\n  a.yaml: worse"
	if err.Error() != want {
		t.Errorf("got %q", err.Error())
	}
}
