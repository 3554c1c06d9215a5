package mappings

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/warehouse"
)

var testEnv = Env{Tenant: "acme", Source: "src", SourceKind: "jira", SourceURL: "https://x.example/"}

func compile(t testing.TB, text string) *Mapper {
	t.Helper()
	m, err := Parse("t.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := m.Compile(testEnv)
	if err != nil {
		t.Fatal(err)
	}
	return mp
}

// workItem maps payload with work_items fields given as YAML lines and returns the row.
func workItem(t *testing.T, fields, payload string) (map[string]any, []Problem) {
	t.Helper()
	mp := compile(t, "entities:\n  work_items:\n    stream: s\n    fields:\n      item_id: {value: X}\n"+indent(fields, "      "))
	rows, probs := mp.Map(Record{Stream: "s", NativeID: "n1", Payload: []byte(payload)})
	items := rowsOf(rows, warehouse.WorkItems)
	if len(items) != 1 {
		t.Fatalf("rows %v problems %v", rows, probs)
	}
	return items[0], probs
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = by + strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestFieldSources(t *testing.T) {
	payload := `{"a":{"b":[{"c":"first"},{"c":"last"}],"odd key":{"x.y":"quoted"},"empty":"","n":null},
		"list":[{"name":"A"},{"name":"B"},{"other":1}],
		"cells":{" Target Date ":"2024-03-01","Owner":{"value":"Ann","displayValue":"Ann B."},"Status":"  In Flight  "}}`
	row, probs := workItem(t, `
		key: {path: "a.b[0].c"}
		title: {path: "a.b[-1].c"}
		status: {path: 'a["odd key"]["x.y"]'}
		priority: {path: [a.empty, a.n, a.missing, "a.b[1].c"]}
		labels: {path: "list[*].name"}
		due_date: {column: target date}
		sprint: {column: [Missing, owner]}
		item_type: {column: STATUS}
		scope: {template: "{source}|{source.url}|{source_kind}|{tenant}|{native_id}|{stream}|{key}|{path:a.b[1].c}|{column:owner}|{{x}}"}
		url: {template: "{source.url}/browse/{path:a.missing}"}
		parent_id: {template: "p-{path:a.missing}-", allow_partial: true}
		reporter_id: {from: key}
		assignee_id: {value: "nobody"}
	`, payload)
	want := map[string]any{
		"key": "first", "title": "last", "status": "quoted", "priority": "last",
		"labels": []string{"A", "B"}, "due_date": tp("2024-03-01T00:00:00Z"), "sprint": "Ann",
		"item_type": "In Flight", "scope": "src|https://x.example|jira|acme|n1|s|first|last|Ann|{x}",
		"url": "", "parent_id": "p--", "reporter_id": "first", "assignee_id": "nobody",
	}
	for k, w := range want {
		if g := row[k]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", k, deref(g), deref(w))
		}
	}
	if len(probs) != 0 {
		t.Errorf("problems %v", probs)
	}
}

func TestConversions(t *testing.T) {
	row, probs := workItem(t, `
		estimate: {path: e}
		created_at: {path: jira}
		updated_at: {path: ms}
		started_at: {path: rfc}
		resolved_at: {path: bad}
		due_date: {path: late}
		start_date: {path: ms}
		labels: {path: csv}
		title: {path: num}
		key: {path: obj}
		status: {path: flag, type: bool}
		attributes: {path: obj}
		attributes.points: {path: e, type: number}
		attributes.flag: {path: flag, type: bool}
		attributes.empty: {path: missing}
	`, `{"e":"3.50","jira":"2024-01-02T10:00:00.000+0100","ms":1704189600123,"rfc":"2024-01-02T10:00:00.123456Z",
		"bad":"soon","late":"2024-01-02T23:30:00-05:00","csv":" a, b ,,c","num":12345678901234567890,
		"obj":{"k":"v","n":2,"z":null},"flag":"Yes"}`)
	want := map[string]any{
		"estimate":    fp(3.5),
		"created_at":  tp("2024-01-02T09:00:00Z"),
		"updated_at":  tp("2024-01-02T10:00:00.123Z"),
		"started_at":  tp("2024-01-02T10:00:00.123Z"),
		"resolved_at": (*time.Time)(nil),
		"due_date":    tp("2024-01-02T00:00:00Z"),
		"start_date":  tp("2024-01-02T00:00:00Z"),
		"labels":      []string{"a", "b", "c"},
		"title":       "12345678901234567890",
		"key":         "",
		"status":      "true",
		"attributes":  map[string]string{"k": "v", "n": "2", "points": "3.5", "flag": "true"},
	}
	for k, w := range want {
		if g := row[k]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", k, deref(g), deref(w))
		}
	}
	var fields []string
	for _, p := range probs {
		fields = append(fields, p.Field)
		if p.Entity != "work_items" || p.NativeID != "n1" || p.Message == "" {
			t.Errorf("problem %+v", p)
		}
	}
	if !reflect.DeepEqual(fields, []string{"key", "resolved_at"}) {
		t.Errorf("problems on %v, want key (an object) and resolved_at (bad time): %v", fields, probs)
	}
}

func TestValueMapsAndDefaults(t *testing.T) {
	fields := `
		item_type: {path: t}
		type_category: {from: item_type, values: {Epic: epic, story: story}, default: other}
		status_category: {path: s, values: {"In Review": in_progress, Done: done}}
		status: {path: missing, default: Open}
		labels: {path: l, type: list, values: {fe: frontend}}
		estimate: {path: p, values: {S: "1", M: "3"}}
	`
	row, probs := workItem(t, fields, `{"t":"STORY","s":"in review","l":["fe","be"],"p":"M"}`)
	if row["type_category"] != "story" || row["status_category"] != "in_progress" || row["status"] != "Open" ||
		!reflect.DeepEqual(row["labels"], []string{"frontend", "be"}) || !reflect.DeepEqual(row["estimate"], fp(3)) {
		t.Errorf("row %v", row)
	}
	if len(probs) != 0 {
		t.Errorf("problems %v", probs)
	}
	row, probs = workItem(t, fields, `{"t":"Initiative","s":"Blocked"}`)
	if row["type_category"] != "other" || row["status_category"] != "" {
		t.Errorf("unmapped: type_category %q status_category %q", row["type_category"], row["status_category"])
	}
	if len(probs) != 1 || probs[0].Field != "status_category" || !strings.Contains(probs[0].Message, `"Blocked"`) {
		t.Errorf("problems %v, want one for the unmapped status", probs)
	}
	// Exact beats case-insensitive.
	row, _ = workItem(t, `status: {path: s, values: {done: a, Done: b, DONE: c}}`, `{"s":"Done"}`)
	if row["status"] != "b" {
		t.Errorf("exact match: %v", row["status"])
	}
}

func TestEachWhereAndTransitions(t *testing.T) {
	mp := compile(t, `
entities:
  transitions:
    stream: issues
    each: changelog.histories[*].items[*]
    where:
      - {path: "@.field", equals: status}
      - {path: "@1.toString", present: true}
      - {path: "@0.author", not_equals: bot}
    fields:
      item_id: {template: "{source}:{path:id}"}
      transition_id: {template: "{path:@0.id}"}
      at: {path: "@0.created"}
      field: {path: "@.field"}
      to_value: {path: "@.toString"}
      to_category: {from: to_value, values: {Doing: in_progress, Done: done, Todo: todo}}
  work_items:
    stream: issues
    where: [{path: type, in: [Story, Bug]}, {from: title, matches: "^[A-Z]"}]
    fields:
      item_id: {template: "{source}:{path:id}"}
      title: {path: title}
      started_at: {first_transition: {to_category: in_progress}}
      resolved_at: {last_transition: {to_category: done}}
      updated_at: {last_transition: {to_value: [doing, todo], field: status}}
  links:
    stream: issues
    shared: true
    each: links[*]
    fields:
      from_id: {template: "{source}:{path:id}"}
      to_id: {path: "@"}
      kind: {value: references}
      origin: {value: explicit}
`)
	payload := `{"id":"7","type":"Story","title":"Go","links":["A-1","A-2"],"changelog":{"histories":[
		{"id":"h1","created":"2024-01-01T00:00:00Z","items":[{"field":"status","toString":"Doing"},{"field":"labels","toString":"x"}]},
		{"id":"h2","created":"2024-01-02T00:00:00Z","author":"bot","items":[{"field":"status","toString":"Done"}]},
		{"id":"h3","created":"2024-01-03T00:00:00Z","items":[{"field":"status","toString":"Todo"}]},
		{"id":"h4","created":"2024-01-04T00:00:00Z","items":[{"field":"status","toString":"Doing"}]},
		{"id":"h5","created":"2024-01-05T00:00:00Z","items":[{"field":"status","toString":"Done"}, {"field":"status"}]}]}}`
	rows, probs := mp.Map(Record{Stream: "issues", NativeID: "7", Payload: []byte(payload)})
	if len(probs) != 0 {
		t.Errorf("problems %v", probs)
	}
	tx := rowsOf(rows, warehouse.Transitions)
	var ids []string
	for _, r := range tx {
		ids = append(ids, r["transition_id"].(string))
	}
	if !reflect.DeepEqual(ids, []string{"h1", "h3", "h4", "h5"}) {
		t.Errorf("transitions %v (h2 is the bot's, h5's second item has no toString)", ids)
	}
	wi := rowsOf(rows, warehouse.WorkItems)
	if len(wi) != 1 {
		t.Fatalf("work items %v", wi)
	}
	if !reflect.DeepEqual(wi[0]["started_at"], tp("2024-01-01T00:00:00Z")) ||
		!reflect.DeepEqual(wi[0]["resolved_at"], tp("2024-01-05T00:00:00Z")) ||
		!reflect.DeepEqual(wi[0]["updated_at"], tp("2024-01-04T00:00:00Z")) {
		t.Errorf("work item times %v %v %v", deref(wi[0]["started_at"]), deref(wi[0]["resolved_at"]), deref(wi[0]["updated_at"]))
	}
	links := rowsOf(rows, warehouse.Links)
	if len(links) != 2 || links[1]["to_id"] != "A-2" {
		t.Errorf("links %v", links)
	}
	for _, r := range rows {
		if r.Table == warehouse.Links && !r.Shared {
			t.Error("links marked shared: true must be shared")
		}
	}
	// where: type not in the list, or a title failing the regex, produce no work item.
	for _, p := range []string{`{"id":"8","type":"Epic","title":"Go"}`, `{"id":"9","type":"Bug","title":"go"}`} {
		rows, _ := mp.Map(Record{Stream: "issues", NativeID: "x", Payload: []byte(p)})
		if n := len(rowsOf(rows, warehouse.WorkItems)); n != 0 {
			t.Errorf("%s: %d work items", p, n)
		}
	}
}

func TestKeysDefaultsAndBadPayloads(t *testing.T) {
	mp := compile(t, `
entities:
  work_items:
    stream: s
    fields:
      item_id: {path: id}
  people:
    stream: users
    fields:
      person_id: {path: id}
  reporters:
    table: people
    stream: s
    shared: false
    each: reporter
    fields:
      person_id: {path: "@.id"}
      display_name: {path: "@.name"}
`)
	if got := mp.Streams(); !reflect.DeepEqual(got, []string{"s", "users"}) {
		t.Errorf("streams %v", got)
	}
	rows, probs := mp.Map(Record{Stream: "s", NativeID: "n1", Payload: []byte(`{"id":"","reporter":{"name":"R"}}`)})
	if len(rows) != 0 || len(probs) != 2 || probs[0].Entity != "reporters" || probs[1].Field != "item_id" {
		t.Errorf("rows %v problems %+v: both rows lack their key", rows, probs)
	}
	rows, _ = mp.Map(Record{Stream: "s", NativeID: "n1", Payload: []byte(`{"id":"I","reporter":{"id":"u","name":"R"}}`)})
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	item, person := rowsOf(rows, warehouse.WorkItems)[0], rowsOf(rows, warehouse.People)[0]
	if item["source_kind"] != "jira" || item["native_id"] != "n1" {
		t.Errorf("engine defaults: %v", item)
	}
	if person["native_id"] != "" || person["source_kind"] != "jira" || rows[1].Shared {
		t.Errorf("a person from each gets no record native_id; shared: false holds: %v %v", person, rows[1].Shared)
	}
	rows, _ = mp.Map(Record{Stream: "users", NativeID: "u9", Payload: []byte(`{"id":"u9"}`)})
	if len(rows) != 1 || !rows[0].Shared || rowsOf(rows, warehouse.People)[0]["native_id"] != "u9" {
		t.Errorf("people rows are shared by default: %+v", rows)
	}
	rows, probs = mp.Map(Record{Stream: "s", NativeID: "n2", Payload: []byte(`{"id": "I"`)})
	if len(rows) != 0 || len(probs) != 1 || !strings.Contains(probs[0].Message, "not valid JSON") {
		t.Errorf("truncated payload: %v %v", rows, probs)
	}
	if rows, probs := mp.Map(Record{Stream: "other", Payload: []byte(`{}`)}); rows != nil || probs != nil {
		t.Errorf("unmapped stream: %v %v", rows, probs)
	}
}

// Every value has exactly the Go type warehouse.Row documents for its column.
func TestRowGoTypes(t *testing.T) {
	mp := jiraMapper(t)
	rows, _ := mp.Map(Record{Stream: "issues", NativeID: "1", Payload: []byte(`{"id":"1","changelog":{"histories":[{"id":"h","created":"2024-01-01","items":[{"field":"status"}]}]}}`)})
	if len(rows) < 2 {
		t.Fatalf("rows %v", rows)
	}
	for _, r := range rows {
		if len(r.Values) != len(r.Table.Columns) {
			t.Fatalf("%s: %d values for %d columns", r.Table.Name, len(r.Values), len(r.Table.Columns))
		}
		for i, c := range r.Table.Columns {
			var want reflect.Type
			switch kindOf(c.Type) {
			case cString:
				want = reflect.TypeOf("")
			case cTime:
				want = reflect.TypeOf(time.Time{})
			case cTimeNull, cDate:
				want = reflect.TypeOf((*time.Time)(nil))
			case cFloat:
				want = reflect.TypeOf((*float64)(nil))
			case cList:
				want = reflect.TypeOf([]string{})
				if r.Values[i].([]string) == nil {
					t.Errorf("%s.%s: nil list", r.Table.Name, c.Name)
				}
			case cMap:
				want = reflect.TypeOf(map[string]string{})
				if r.Values[i].(map[string]string) == nil {
					t.Errorf("%s.%s: nil map", r.Table.Name, c.Name)
				}
			}
			if got := reflect.TypeOf(r.Values[i]); got != want {
				t.Errorf("%s.%s (%s): %v, want %v", r.Table.Name, c.Name, c.Type, got, want)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	mp := compile(t, `
entities:
  work_items:
    stream: issues
    fields:
      item_id: {path: id}
      status_category: {lookup: {stream: statuses, key: code, path: cat, by: {path: st}}}
      project_id: {lookup: {stream: projects, path: name, by: {template: "p{path:pid}"}}}
`)
	if got := mp.LookupStreams(); !reflect.DeepEqual(got, []string{"projects", "statuses"}) {
		t.Errorf("lookup streams %v", got)
	}
	err := mp.SetLookup("statuses", []connectors.StoredRecord{
		{NativeID: "1", Payload: []byte(`{"code":"S1","cat":"done"}`)},
		{NativeID: "2", Payload: []byte(`{"code":`)},
	})
	if err == nil || !strings.Contains(err.Error(), "record 2") {
		t.Errorf("a bad lookup record is reported: %v", err)
	}
	if err := mp.SetLookup("projects", []connectors.StoredRecord{{NativeID: "p9", Payload: []byte(`{"name":"Apollo"}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := mp.SetLookup("nope", nil); err == nil {
		t.Error("SetLookup of an unknown stream must fail")
	}
	rows, probs := mp.Map(Record{Stream: "issues", NativeID: "i", Payload: []byte(`{"id":"i","st":"S1","pid":"9"}`)})
	r := rowsOf(rows, warehouse.WorkItems)[0]
	if r["status_category"] != "done" || r["project_id"] != "Apollo" || len(probs) != 0 {
		t.Errorf("row %v problems %v", r, probs)
	}
	rows, probs = mp.Map(Record{Stream: "issues", NativeID: "i", Payload: []byte(`{"id":"i","st":"S7","pid":"9"}`)})
	if rowsOf(rows, warehouse.WorkItems)[0]["status_category"] != "" || len(probs) != 1 || !strings.Contains(probs[0].Message, `"S7"`) {
		t.Errorf("missing lookup: problems %v", probs)
	}
}

func TestExtendsDefault(t *testing.T) {
	base, err := DefaultFor("jira", read(t, "testdata/jira.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse("mine.yaml", []byte(`
extends: default
entities:
  work_items:
    fields:
      estimate: {path: fields.customfield_10042, type: number}
      sprint: null
      attributes.squad: {value: blue}
  people: null
  projects:
    stream: projects
    fields:
      project_id: {path: id}
`), base)
	if err != nil {
		t.Fatal(err)
	}
	wi := m.Entities["work_items"]
	if wi.Stream != "issues" || wi.Fields["estimate"].Path[0] != "fields.customfield_10042" || wi.Fields["sprint"] != nil ||
		wi.Fields["title"] == nil || wi.Fields["attributes.squad"] == nil {
		t.Errorf("merged work_items: stream %q fields %v", wi.Stream, len(wi.Fields))
	}
	if _, ok := wi.Fields["sprint"]; ok {
		t.Error("null removes a field")
	}
	if _, ok := m.Entities["people"]; ok {
		t.Error("null removes an entity")
	}
	if m.Entities["projects"] == nil || m.Entities["transitions"] == nil {
		t.Error("new and untouched entities are kept")
	}
	if base.Entities["work_items"].Fields["sprint"] == nil || base.Entities["people"] == nil {
		t.Error("the base mapping must not change")
	}
	if _, err := m.Compile(jiraEnv); err != nil {
		t.Error(err)
	}
	if _, err := Parse("x.yaml", []byte("extends: default\nentities: {}\n"), nil); err == nil || !strings.Contains(err.Error(), "x.yaml:1:1: extends") {
		t.Errorf("extends without a base: %v", err)
	}
}
