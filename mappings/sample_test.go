package mappings

import (
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
