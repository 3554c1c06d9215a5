package mappings

import (
	"fmt"
	"strings"
	"testing"
)

const sampleMapping = `entities:
  work_items:
    stream: issues
    fields:
      item_id: {template: "{source}:{native_id}"}
      title: {path: fields.summry}
      status: {path: fields.status}
      status_category:
        from: status
        values: {Open: todo, Done: done}
      type_category:
        path: fields.type
        values: {Bug: bug}
        default: task
  people:
    stream: users
    fields:
      person_id: {path: id}
`

func TestSampleFindsWhatStoredRecordsShow(t *testing.T) {
	mp, diags := Check("m.yaml", []byte(sampleMapping), nil, testEnv)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	s := mp.NewSample()
	for i, st := range []string{"Open", "Blocked", "Blocked", "Done", "In Review"} {
		s.Map(Record{Stream: "issues", NativeID: string(rune('a' + i)), Payload: []byte(`{"fields":{"summary":"x","status":"` + st + `","type":"Story"}}`)})
	}
	s.Map(Record{Stream: "users", NativeID: "u1", Payload: []byte(`{"name":"no id here"}`)})

	un := s.Unmapped()
	if len(un) != 3 || un[0].Value != "Story" || un[0].Count != 5 || un[0].Default != "task" ||
		un[1].Value != "Blocked" || un[1].Count != 2 || un[1].Default != "" || un[2].Value != "In Review" {
		t.Fatalf("unmapped %+v", un)
	}
	if un[1].Pos.Line != 10 {
		t.Fatalf("unmapped values should point at the value map: %+v", un[1].Pos)
	}
	var got []string
	for _, d := range s.Diagnostics() {
		got = append(got, d.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`m.yaml:6:15: warning: entities.work_items.fields.title.path: path "fields.summry" never matched in 5 rows`,
		`m.yaml:10:9: entities.work_items.fields.status_category.values: value "Blocked" is not in the value map: 2 rows left empty (add Blocked: <status_category> to values, or set default:)`,
		`warning: entities.work_items.fields.type_category.values: value "Story" is not in the value map: 5 rows took the default "task"`,
		`warning: entities.people: produced no rows from 1 stored users record`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	pc := s.Problems()
	if len(pc) == 0 || pc[0].Count != 3 || pc[0].Message != "value … is not in the value map" {
		t.Fatalf("problem counts %+v", pc)
	}
	if n := s.Records(); n["issues"] != 5 || n["users"] != 1 {
		t.Fatalf("records %v", n)
	}
}

func TestCheckListsProblemsInFileOrder(t *testing.T) {
	_, diags := Check("m.yaml", []byte("entities:\n  work_items:\n    stream: s\n    fields:\n      item_id: {value: X}\n      stauts: {path: a}\n      title: {expr: 'payload.'}\n"), nil, testEnv)
	if len(diags) != 2 || diags[0].Pos.Line != 6 || diags[1].Pos.Line != 7 || !strings.Contains(diags[0].Hint, "did you mean status") {
		t.Fatalf("%v", diags)
	}
	_, diags = Check("m.yaml", []byte("entities: [\n"), nil, testEnv)
	if len(diags) != 1 || diags[0].Pos.Line == 0 {
		t.Fatalf("syntax error: %v", diags)
	}
}

func TestChangesIgnoresFormatting(t *testing.T) {
	a, err := Parse("a", []byte("entities:\n  work_items:\n    stream: s\n    fields: {item_id: {value: X}, title: {path: a}, key: {path: k}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b", []byte("# moved around\nentities:\n  work_items:\n    stream: s\n    fields:\n      item_id: {value: X}\n      title: {path: b}\n      url: {path: u}\n  links:\n    stream: s\n    fields: {from_id: {value: a}, to_id: {value: b}, kind: {value: c}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(Changes(a, b), "; ")
	if got != "added links; removed work_items.key; changed work_items.title; added work_items.url" {
		t.Fatal(got)
	}
	if c := Changes(a, a); len(c) != 0 {
		t.Fatal(c)
	}
}

const columnMapping = `entities:
  work_items:
    stream: rows
    where: [{path: entity, equals: work_items}]
    fields:
      item_id: {template: "{source}:{native_id}"}
      title:   {column: [Title, Task]}
      status:  {column: Status}
      attributes.team: {column: Team, fallback: {path: team}}
      estimate: {column: Points, default: "0"}
  projects:
    stream: rows
    where: [{path: entity, equals: projects}]
    fields:
      project_id: {column: Project ID}
`

func TestRequiredColumnsAreCheckedWhereTheEntityApplies(t *testing.T) {
	mp, diags := Check("m.yaml", []byte(columnMapping), nil, testEnv)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	if got := strings.Join(mp.RequiredColumns("rows"), ","); got != "Project ID,Status" {
		t.Fatalf("required %q", got)
	}
	// Status is missing (titles match trimmed and case-insensitively: " status " would do);
	// Title has alternatives, Team a fallback, Points a default; Project ID belongs to
	// the projects entity, whose where does not hold.
	task := `{"entity":"work_items","tab":"Tasks","table_name":"Plan","cells":{"Task":"x","State":"Done"}}`
	miss := mp.MissingColumns("rows", []byte(task))
	if len(miss) != 1 || miss[0].Column != "Status" || miss[0].Key != "entities.work_items.fields.status.column" || miss[0].Pos != "m.yaml:8:7" {
		t.Fatalf("missing %+v", miss)
	}
	if m := mp.MissingColumns("rows", []byte(`{"entity":"work_items","cells":{" STATUS ":null}}`)); len(m) != 0 {
		t.Fatalf("matched as a column source matches: %+v", m)
	}
	if m := mp.MissingColumns("rows", []byte(`{"entity":"work_items"}`)); len(m) != 0 {
		t.Fatalf("a record without cells is not tabular: %+v", m)
	}

	// Two samples merged (as preview and validate map chunks in parallel) count as one.
	s, other := mp.NewSample(), mp.NewSample()
	for i := range 3 {
		s.Map(Record{Stream: "rows", NativeID: fmt.Sprint(i), Payload: []byte(task)})
	}
	other.Map(Record{Stream: "rows", NativeID: "p", Payload: []byte(`{"entity":"projects","tab":"Register","table_name":"Plan","cells":{"Project ID":"P-1"}}`)})
	other.Map(Record{Stream: "rows", NativeID: "3", Payload: []byte(task)})
	s.Merge(other)
	var errs []string
	for _, d := range s.Diagnostics() {
		if !d.Warning {
			errs = append(errs, d.String())
		}
	}
	want := `m.yaml:8:7: entities.work_items.fields.status.column: column "Status" is not in spreadsheet "Plan" tab "Tasks" (4 stored rows)`
	if len(errs) != 1 || !strings.HasPrefix(errs[0], want) {
		t.Fatalf("diagnostics %q", errs)
	}
}

// An error sample (apply) reports exactly the errors of a full sample, no warnings, and
// maps only the blocks with a value map that has no default.
func TestErrorSampleReportsTheErrorsOnly(t *testing.T) {
	mp, diags := Check("m.yaml", []byte(sampleMapping), nil, testEnv)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	full, errs := mp.NewSample(), mp.NewErrorSample()
	if got := errs.Streams(); len(got) != 1 || got[0] != "issues" {
		t.Fatalf("an error sample reads %v; people have no value map", got)
	}
	for i, st := range []string{"Open", "Blocked", "Blocked", "Done", "In Review"} {
		rec := Record{Stream: "issues", NativeID: fmt.Sprint(i), Payload: []byte(`{"fields":{"summary":"x","status":"` + st + `","type":"Story"}}`)}
		full.Map(rec)
		errs.Map(rec)
	}
	var want []string
	for _, d := range full.Diagnostics() {
		if !d.Warning {
			want = append(want, d.String())
		}
	}
	var got []string
	for _, d := range errs.Diagnostics() {
		got = append(got, d.String())
	}
	if len(want) != 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("error sample %q\nfull sample's errors %q", got, want)
	}
	// A value map read through first_transition needs the transitions: a check sample.
	mp, diags = Check("m.yaml", []byte(`entities:
  work_items:
    stream: issues
    fields:
      item_id: {template: "{source}:{native_id}"}
      started_at: {first_transition: {to_category: in_progress}}
      attributes.phase: {from: started_at, type: string, values: {x: on_track}}
  transitions:
    stream: issues
    each: changelog[*]
    fields:
      item_id: {template: "{source}:{native_id}"}
      transition_id: {path: "@.id"}
      at: {path: "@.at", type: time}
      to_category: {path: "@.cat"}
`), nil, testEnv)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	if s := mp.NewErrorSample(); s.errOnly || !s.checkOnly {
		t.Fatal("an error sample of a mapping whose checks read transitions must be a check sample")
	}
}
