package mappings

import (
	"reflect"
	"testing"
)

func TestRestColumnsTypesAndTitles(t *testing.T) {
	payload := `{"key":"K-1","cells":{"Status":"Open","Owner":{"value":"Ann"},"Cost":"12","Due":"2024-03-01",
		"Risk Owner":"Bo","Notes":"","Flag":"x"}}`
	fields := `
		key: {path: key}
		status: {column: Status}
		estimate: {column: [Cost, Points]}
		due_date: {column: Due, type: date}
		assignee_id: {template: "{column:owner}"}
		attributes: {columns: rest}
		attributes.flagged: {column: [Flag], type: bool}
	`
	row, probs := workItem(t, fields, payload)
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	// Only the columns the block reads nowhere else; empty cells left out; attributes.<x> added.
	want := map[string]string{"Risk Owner": "Bo", "flagged": "true"}
	if got := row["attributes"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("attributes = %#v, want %#v", got, want)
	}

	mp := compile(t, "version: 1\nentities:\n  work_items:\n    stream: s\n    fields:\n      item_id: {path: key}\n"+indent(fields, "      ")+
		"  projects:\n    stream: s\n    fields:\n      project_id: {path: key}\n      start_date: {column: [Cost], type: date}\n      name: {column: Title}\n")
	types := mp.ColumnTypes("s")
	// Cost is read as a number and as a date: no type. Flag's bool is an attribute's type.
	wantTypes := map[string]string{"Due": "date", "Points": "number", "Flag": "bool"}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("ColumnTypes = %v, want %v", types, wantTypes)
	}
	titles := mp.ColumnTitles("s")
	wantTitles := []string{"Cost", "Due", "Flag", "owner", "Points", "Status", "Title"}
	if !reflect.DeepEqual(titles, wantTitles) {
		t.Errorf("ColumnTitles = %v, want %v", titles, wantTitles)
	}
}

func TestRestColumnsRejectsOtherWords(t *testing.T) {
	m, err := Parse("t.yaml", []byte("version: 1\nentities:\n  work_items:\n    stream: s\n    fields:\n      item_id: {path: id}\n      attributes: {columns: all}\n"), nil)
	if err == nil {
		_, err = m.Compile(testEnv)
	}
	if err == nil {
		t.Fatal("columns: all compiled")
	}
}
