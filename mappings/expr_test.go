package mappings

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse"
)

func TestExprTeamFromLabels(t *testing.T) {
	fields := `
		labels: {path: fields.labels}
		attributes.team: {expr: 'row.labels.exists(l, l.startsWith("team-")) ? row.labels.filter(l, l.startsWith("team-"))[0].substring(5) : "unassigned"'}`
	row, probs := workItem(t, fields, `{"fields":{"labels":["backend","team-payments"]}}`)
	if got := row["attributes"].(map[string]string)["team"]; got != "payments" || len(probs) != 0 {
		t.Fatalf("team %q problems %v", got, probs)
	}
	row, _ = workItem(t, fields, `{"fields":{"labels":["backend"]}}`)
	if got := row["attributes"].(map[string]string)["team"]; got != "unassigned" {
		t.Fatalf("team %q", got)
	}
}

func TestExprEstimateFromEitherField(t *testing.T) {
	fields := `estimate: {expr: 'has(payload.fields.customfield_10016) && payload.fields.customfield_10016 != null ? payload.fields.customfield_10016 : payload.fields.?customfield_10026.orValue(null)'}`
	for payload, want := range map[string]*float64{
		`{"fields":{"customfield_10016":5}}`:                            ptr(5.0),
		`{"fields":{"customfield_10016":null,"customfield_10026":2.5}}`: ptr(2.5),
		`{"fields":{"customfield_10026":8}}`:                            ptr(8.0),
		`{"fields":{}}`:                                                 nil,
	} {
		row, probs := workItem(t, fields, payload)
		if got := row["estimate"].(*float64); !reflect.DeepEqual(got, want) || len(probs) != 0 {
			t.Errorf("%s: estimate %v want %v, problems %v", payload, deref(got), deref(want), probs)
		}
	}
}

func TestExprHealthFromDatesAndPercent(t *testing.T) {
	m, err := Parse("t.yaml", []byte(`
entities:
  projects:
    stream: rows
    fields:
      project_id: {column: ID}
      target_date: {column: Target}
      percent_complete: {column: Done %}
      health:
        expr: >-
          !has(row.target_date) ? "" :
          row.percent_complete >= 100 ? "green" :
          row.target_date < now ? "red" :
          row.target_date - now < duration("336h") && row.percent_complete < 50 ? "amber" : "green"
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv
	env.Now = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	mp, err := m.Compile(env)
	if err != nil {
		t.Fatal(err)
	}
	for cells, want := range map[string]string{
		`{"ID":"P1","Target":"2024-05-01","Done %":"40"}`:  "red",
		`{"ID":"P2","Target":"2024-06-10","Done %":"30"}`:  "amber",
		`{"ID":"P3","Target":"2024-06-10","Done %":"80"}`:  "green",
		`{"ID":"P4","Target":"2024-05-01","Done %":"100"}`: "green",
		`{"ID":"P5","Done %":"10"}`:                        "",
	} {
		rows, probs := mp.Map(Record{Stream: "rows", NativeID: "x", Payload: []byte(`{"cells":` + cells + `}`)})
		got := rowsOf(rows, warehouse.Projects)
		if len(got) != 1 || got[0]["health"] != want || len(probs) != 0 {
			t.Errorf("%s: %v problems %v, want health %q", cells, got, probs, want)
		}
	}
}

func TestExprRuntimeFailureLeavesFieldEmptyAndCounts(t *testing.T) {
	row, probs := workItem(t, `
		title: {path: fields.summary}
		priority: {expr: 'payload.fields.priority.name.lowerAscii()'}`, `{"fields":{"summary":"kept","priority":null}}`)
	if row["title"] != "kept" || row["priority"] != "" {
		t.Fatalf("row %v", row)
	}
	if len(probs) != 1 || probs[0].Field != "priority" || !strings.Contains(probs[0].Message, "expression failed") {
		t.Fatalf("problems %v", probs)
	}
}

func TestExprRunawayIsStopped(t *testing.T) {
	row, probs := workItem(t, `title: {expr: 'string([1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, [1,2,3,4,5,6,7,8,9,10].map(e, [1,2,3,4,5,6,7,8,9,10].map(f, a+b+c+d+e+f)))))).size())'}`, `{}`)
	if row["title"] != "" || len(probs) != 1 || !strings.Contains(probs[0].Message, "cost") {
		t.Fatalf("row %v problems %v", row["title"], probs)
	}
}

func TestExprRunawayRangeIsStopped(t *testing.T) {
	row, probs := workItem(t, `title: {expr: 'string(lists.range(1000000).map(x, x * 2).size())'}`, `{}`)
	if row["title"] != "" || len(probs) != 1 || !strings.Contains(probs[0].Message, "cost") {
		t.Fatalf("row %v problems %v", row["title"], probs)
	}
}

// A single loop over the record is linear in it: it runs untracked (tracking doubles an
// expression's cost), however long the list.
func TestExprMayRunAway(t *testing.T) {
	env, err := newCELEnv()
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{
		`payload.fields.summary`: false,
		`payload.fields.labels.exists(l, l.startsWith("team-")) ? payload.fields.labels.filter(l, l.startsWith("team-"))[0] : ""`: false,
		`payload.a.map(x, x.b).filter(y, y != "").size()`:                                                                         false,
		`payload.a.exists(x, payload.b.exists(y, x == y))`:                                                                        true,
		`payload.a.map(x, [1, 2].map(y, y))`:                                                                                      true,
		`lists.range(3).size()`:                                                                                                   true,
		`[payload.a.all(x, x > 0), payload.b.all(x, x > 0)]`:                                                                      false,
	} {
		ast, iss := env.Compile(text)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", text, iss.Err())
		}
		if got := mayRunAway(ast.NativeRep().Expr()); got != want {
			t.Errorf("mayRunAway(%s) = %v, want %v", text, got, want)
		}
	}
	row, probs := workItem(t, `title: {expr: 'string(payload.l.filter(x, x > 0).size())'}`, `{"l":[`+strings.Repeat("1,", 400000)+`1]}`)
	if row["title"] != "400001" || len(probs) != 0 {
		t.Fatalf("row %v problems %v", row["title"], probs)
	}
}

func TestExprEachSourceAndWhere(t *testing.T) {
	mp := compile(t, `
entities:
  transitions:
    stream: issues
    each: changelog.histories[*].items[*]
    where:
      - expr: 'each.field == "status" && levels[0].id != "skip"'
    fields:
      item_id: {expr: 'source.name + ":" + source.native_id'}
      transition_id: {expr: 'levels[0].id + ":" + each.field'}
      at: {expr: 'toTime(levels[0].created)'}
      to_value: {expr: 'each.toString'}
      to_category: {expr: 'row.to_value in ["Done", "Closed"] ? "done" : "in_progress"'}
`)
	rows, probs := mp.Map(Record{Stream: "issues", NativeID: "10", Payload: []byte(`{"changelog":{"histories":[
		{"id":"h1","created":"2024-01-02T10:00:00.000+0100","items":[{"field":"status","toString":"Done"},{"field":"assignee"}]},
		{"id":"skip","created":"2024-01-03T10:00:00.000+0100","items":[{"field":"status","toString":"Open"}]},
		{"id":"h2","created":"2024-01-04T10:00:00.000+0100","items":[{"field":"status","toString":"Doing"}]}]}}`)})
	got := rowsOf(rows, warehouse.Transitions)
	if len(got) != 2 || len(probs) != 0 {
		t.Fatalf("rows %v problems %v", got, probs)
	}
	if got[0]["item_id"] != "src:10" || got[0]["transition_id"] != "h1:status" || got[0]["to_category"] != "done" ||
		!got[0]["at"].(time.Time).Equal(time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("first %v", got[0])
	}
	if got[1]["transition_id"] != "h2:status" || got[1]["to_category"] != "in_progress" {
		t.Fatalf("second %v", got[1])
	}
}

func TestExprProblemsAtLoad(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"title: {expr: 'payload.fields.summary +'}", "t.yaml:6:"},
		{"title: {expr: 'nosuchvar.x'}", "undeclared reference to 'nosuchvar'"},
		{"title: {expr: 'row.nosuch'}", `reads field "nosuch"`},
		{"title: {expr: 'size(1, 2)'}", "found no matching overload"},
	} {
		m, err := Parse("t.yaml", []byte("entities:\n  work_items:\n    stream: s\n    fields:\n      item_id: {value: X}\n      "+c.yaml+"\n"), nil)
		if err == nil {
			_, err = m.Compile(testEnv)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.yaml, err, c.want)
		}
	}
	m, err := Parse("t.yaml", []byte("entities:\n  work_items:\n    stream: s\n    where: [{expr: '\"text\"'}]\n    fields:\n      item_id: {value: X}\n"), nil)
	if err == nil {
		_, err = m.Compile(testEnv)
	}
	if err == nil || !strings.Contains(err.Error(), "true or false") {
		t.Fatalf("non-bool where: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
