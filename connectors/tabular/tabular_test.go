package tabular

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSerialTime(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		serial float64
		loc    *time.Location
		want   time.Time
	}{
		{43831, nil, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, // the recorded fixture's 2020-01-01
		{36162, nil, time.Date(1999, 1, 2, 0, 0, 0, 0, time.UTC)}, // and 1999-01-02
		{45717.6041666667, nil, time.Date(2025, 3, 1, 14, 30, 0, 0, time.UTC)},
		{45717.5, ny, time.Date(2025, 3, 1, 12, 0, 0, 0, ny)},
		{1, nil, time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)},
	} {
		got, ok := SerialTime(tc.serial, tc.loc)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("SerialTime(%v) = %v, %v; want %v", tc.serial, got, ok, tc.want)
		}
		if back := TimeSerial(got); math.Abs(back-tc.serial) > 1e-6 {
			t.Errorf("TimeSerial(%v) = %v, want %v", got, back, tc.serial)
		}
	}
	for _, bad := range []float64{0, -3, 2e6, math.NaN()} {
		if _, ok := SerialTime(bad, nil); ok {
			t.Errorf("SerialTime(%v) accepted", bad)
		}
	}
}

func TestConvert(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		v    any
		t    Type
		loc  *time.Location
		want any
		ok   bool
	}{
		{"", TypeNumber, nil, nil, true},
		{"  ", TypeDate, nil, nil, true},
		{53.0, TypeText, nil, "53", true},
		{1e21, TypeText, nil, "1000000000000000000000", true},
		{true, TypeText, nil, "TRUE", true},
		{"1,200.50", TypeNumber, nil, 1200.5, true},
		{"(42)", TypeNumber, nil, -42.0, true},
		{"12,34", TypeNumber, nil, nil, false},
		{"abc", TypeNumber, nil, nil, false},
		{"$1,200.00", TypeCurrency, nil, 1200.0, true},
		{"-€12", TypeCurrency, nil, -12.0, true},
		{"1200 €", TypeCurrency, nil, 1200.0, true},
		{0.07, TypePercent, nil, 7.0, true},
		{"45%", TypePercent, nil, 45.0, true},
		{"45", TypePercent, nil, nil, false},
		{43831.0, TypeDate, nil, "2020-01-01", true},
		{43831.75, TypeDate, nil, "2020-01-01", true},
		{"2025-03-01", TypeDate, nil, "2025-03-01", true},
		{"next week", TypeDate, nil, nil, false},
		{45717.5, TypeDateTime, ny, "2025-03-01T17:00:00.000Z", true},
		{"2025-03-01T10:00:00+01:00", TypeDateTime, nil, "2025-03-01T09:00:00.000Z", true},
		{"2025-03-01 10:00", TypeDateTime, ny, "2025-03-01T15:00:00.000Z", true},
		{true, TypeBool, nil, true, true},
		{"No", TypeBool, nil, false, true},
		{"maybe", TypeBool, nil, nil, false},
	} {
		got, ok := Convert(tc.v, tc.t, tc.loc)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("Convert(%#v, %s) = %#v, %v; want %#v, %v", tc.v, tc.t, got, ok, tc.want, tc.ok)
		}
	}
}

func table(header []string, hints []Type, rows ...[]any) Table {
	t := Table{Ref: TableRef{ID: "s1", Name: "Register", Tab: "RAID"}}
	for i, h := range header {
		c := Column{Title: h}
		if i < len(hints) {
			c.Hint = hints[i]
		}
		t.Columns = append(t.Columns, c)
	}
	for i, r := range rows {
		t.Rows = append(t.Rows, RawRow{Number: i + 2, Values: r})
	}
	return t
}

func TestBuildInfersTypes(t *testing.T) {
	tb := table(
		[]string{"ID", "Due", "Budget", "Done", "Pct", "Text date", "Cost", "Notes", "Points"},
		[]Type{"", TypeDate, TypeCurrency},
		[]any{"A", 45717.0, 1000.0, true, "10%", "2025-01-02", "$10", "x", 3.0},
		[]any{"B", 45718.0, 2000.0, false, "20%", "2025-01-03", "$20", "5", 5.0},
		[]any{"C", "tbd", 3000.0, true, "30%", "2025-01-04", "$30", "y", "n/a"},
		[]any{"D", 45719.0, 4000.0, false, "40%", "2025-01-05", "$40", "z", 8.0},
		[]any{"E", 45720.0, 5000.0, true, "50%", "2025-01-06", "$50", "w", 13.0},
	)
	res, err := Build(tb, Options{KeyColumn: "id"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Type{"ID": TypeText, "Due": TypeDate, "Budget": TypeCurrency, "Done": TypeBool, "Pct": TypePercent, "Text date": TypeDate, "Cost": TypeCurrency, "Notes": TypeText, "Points": TypeNumber}
	for _, c := range res.Columns {
		if c.Type != want[c.Title] {
			t.Errorf("column %q type %s, want %s", c.Title, c.Type, want[c.Title])
		}
	}
	c := res.Rows[2]
	if c.Cells["Due"] != "tbd" || c.Cells["Points"] != "n/a" || len(c.Problems) != 2 {
		t.Errorf("misfits not kept as text: %v %v", c.Cells, c.Problems)
	}
	if res.Rows[0].Cells["Pct"] != 10.0 || res.Rows[0].Cells["Due"] != "2025-03-01" || res.Rows[0].Cells["Cost"] != 10.0 {
		t.Errorf("row A = %v", res.Rows[0].Cells)
	}
	var kinds []ProblemKind
	for _, p := range res.Problems {
		kinds = append(kinds, p.Kind)
		if p.Kind == ProblemTypeMismatch && (p.Row != 4 || p.Table.Tab != "RAID") {
			t.Errorf("problem lacks row/tab: %v", p)
		}
	}
	if len(kinds) != 2 {
		t.Errorf("problems = %v", res.Problems)
	}
}

func TestBuildFixedTypesAndKeys(t *testing.T) {
	tb := table([]string{"ID", "Code", "Status"}, nil,
		[]any{7.0, "007", "Open"},
		[]any{"", "x", "Open"},
		[]any{"", "", ""}, // blank spacer row: not a record, not a problem
		[]any{"7", "dup", "Done"},
		[]any{"8"},
	)
	res, err := Build(tb, Options{KeyColumn: "ID", Types: map[string]Type{"code": TypeText}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[0].Key != "7" || res.Rows[0].Cells["Code"] != "007" || res.Rows[1].Key != "8" {
		t.Fatalf("rows = %+v", res.Rows)
	}
	if res.Rows[1].Cells["Status"] != nil {
		t.Errorf("ragged row Status = %v, want null", res.Rows[1].Cells["Status"])
	}
	var got []string
	for _, p := range res.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`"Register" (s1) tab "RAID" row 3 column "ID": empty_key: row skipped: its key cell is empty`,
		`"Register" (s1) tab "RAID" row 5 column "ID": duplicate_key "7": row skipped: row 2 has the same key`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBuildSchemaErrors(t *testing.T) {
	tb := table([]string{"Ref", "Status"}, nil, []any{"A", "Open"})
	_, err := Build(tb, Options{KeyColumn: "ID"})
	var se *SchemaError
	if !asSchema(err, &se) || se.Column != "ID" || !strings.Contains(err.Error(), `tab "RAID"`) || !strings.Contains(err.Error(), `"Ref"`) {
		t.Fatalf("err = %v", err)
	}
	_, err = Build(tb, Options{KeyColumn: "Ref", Types: map[string]Type{"Due": TypeDate}})
	if !asSchema(err, &se) || se.Column != "Due" {
		t.Fatalf("err = %v", err)
	}
}

func asSchema(err error, se **SchemaError) bool {
	e, ok := err.(*SchemaError)
	*se = e
	return ok
}

func TestDuplicateAndEmptyTitles(t *testing.T) {
	tb := table([]string{"ID", "Status", "", "status"}, nil, []any{"A", "Open", "lost", "Closed"})
	res, err := Build(tb, Options{KeyColumn: "ID"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Titles(); !reflect.DeepEqual(got, []string{"ID", "Status"}) || res.Rows[0].Cells["Status"] != "Open" {
		t.Fatalf("titles %v cells %v", got, res.Rows[0].Cells)
	}
	if len(res.Problems) != 2 || res.Problems[0].Kind != ProblemEmptyTitle || res.Problems[0].Column != "C" || res.Problems[1].Kind != ProblemDuplicateCol {
		t.Fatalf("problems = %v", res.Problems)
	}
}

func TestCompare(t *testing.T) {
	build := func(rows ...[]any) *Result {
		res, err := Build(table([]string{"ID", "Status", "Title"}, nil, rows...), Options{KeyColumn: "ID"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := build([]any{"A", "Open", "a"}, []any{"B", "Open", "b"}, []any{"C", "Open", "c"})
	stored := map[string]Stored{}
	for _, r := range first.Rows {
		p := NewPayload(first.Ref, "ID", r)
		p.SetStatusColumn("Status")
		b, _ := p.Encode()
		s, err := ParseStored("s1/1/"+r.Key, 1, b)
		if err != nil {
			t.Fatal(err)
		}
		stored[s.Key] = s
	}
	// B moves down (a row inserted above), A's status changes, C is gone, D is new.
	now := build([]any{"D", "Open", "d"}, []any{"A", "Done", "a"}, []any{"X", "", ""}, []any{"B", "Open", "b"})
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	d := Compare(stored, now, "status", Snapshot{Version: 7, ModifiedAt: at})
	if d.Unchanged != 1 || len(d.Upserts) != 3 || len(d.Removed) != 1 || d.Removed[0].Key != "C" || d.StatusChanges != 1 {
		t.Fatalf("diff = %+v", d)
	}
	a := d.Upserts[1]
	want := []Change{{ID: "7", At: "2025-03-01T09:00:00Z", Version: 7, Field: "status", From: "Open", To: "Done"}}
	if a.Row.Key != "A" || a.New || !reflect.DeepEqual(a.History, want) {
		t.Fatalf("A = %+v", a)
	}
	if !d.Upserts[0].New || d.Upserts[0].History != nil {
		t.Fatalf("D = %+v", d.Upserts[0])
	}
	// A re-read of the same snapshot does not add the change twice.
	if h := appendChange(want, want[0]); len(h) != 1 {
		t.Fatalf("history = %v", h)
	}
}

func TestHistoryIsCapped(t *testing.T) {
	var h []Change
	for i := range MaxHistory + 10 {
		h = appendChange(h, Change{ID: string(rune('a'+i%26)) + strings.Repeat("x", i), Field: "status"})
	}
	if len(h) != MaxHistory || !strings.HasSuffix(h[len(h)-1].ID, strings.Repeat("x", MaxHistory+9)) {
		t.Fatalf("len %d", len(h))
	}
}

func TestPayloadIsDeterministicAndVerbatim(t *testing.T) {
	nasty := "'; DROP TABLE rows;-- 🚀 \"q\" \\ \n" + strings.Repeat("é", 5000)
	res, err := Build(table([]string{"ID", "Notes", "GitHub Repo", "Jira Project"}, nil,
		[]any{"A", nasty, "https://github.com/acme/web/; acme/api", "ALPHA,ALPHA"}), Options{KeyColumn: "ID"})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPayload(res.Ref, "ID", res.Rows[0])
	b1, _ := p.Encode()
	b2, _ := NewPayload(res.Ref, "ID", res.Rows[0]).Encode()
	if string(b1) != string(b2) {
		t.Fatal("encoding is not deterministic")
	}
	var back Payload
	if err := json.Unmarshal(b1, &back); err != nil || back.Cells["Notes"] != nasty {
		t.Fatalf("round trip lost text: %v", err)
	}
	want := []Member{{"github_repo", "acme/api"}, {"github_repo", "acme/web"}, {"jira_project", "ALPHA"}}
	if !reflect.DeepEqual(back.Members, want) {
		t.Fatalf("members = %v", back.Members)
	}
}

func TestColumnLetter(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 701: "ZZ", 702: "AAA"} {
		if got := ColumnLetter(i); got != want {
			t.Errorf("ColumnLetter(%d) = %s, want %s", i, got, want)
		}
	}
}
