package tabular

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzConvert feeds cell text from a sheet through every type: it must never panic, and a
// value that converts must encode as JSON and convert to the same value again.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{"1,200.50", "$1,200", "45%", "2025-03-01", "2025-03-01T10:00:00Z", "TRUE", "(42)", "1e308", "-€12", "٣", "𝟙𝟚"} {
		f.Add(s)
	}
	types := []Type{TypeText, TypeNumber, TypeCurrency, TypePercent, TypeDate, TypeDateTime, TypeBool}
	f.Fuzz(func(t *testing.T, s string) {
		for _, ty := range types {
			v, ok := Convert(s, ty, time.UTC)
			if !ok {
				continue
			}
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("Convert(%q, %s) = %#v does not encode: %v", s, ty, v, err)
			}
			if str, isStr := v.(string); isStr && (ty == TypeDate || ty == TypeDateTime) {
				again, ok := Convert(str, ty, time.UTC)
				if !ok || again != v {
					t.Fatalf("Convert(%q, %s) = %q, which converts to %v, %v", s, ty, str, again, ok)
				}
			}
		}
	})
}

// FuzzBuild builds a table from fuzzed cells (as a stored payload would arrive): it must
// never panic, never merge rows, and every kept row must have a distinct, non-empty key.
func FuzzBuild(f *testing.F) {
	f.Add(`[["ID","Status","Due"],["A","Open",45717],["A","Done","x"],["",1,true],[null]]`)
	f.Add(`[["ID"],[1],[1.0],["1"]]`)
	f.Add(`[["Status","ID","ID"],["Open","B","C"]]`)
	f.Fuzz(func(t *testing.T, data string) {
		var rows [][]any
		if json.Unmarshal([]byte(data), &rows) != nil || len(rows) == 0 {
			return
		}
		tb := Table{Ref: TableRef{ID: "s", Tab: "T"}}
		for _, h := range rows[0] {
			tb.Columns = append(tb.Columns, Column{Title: Text(h)})
		}
		for i, r := range rows[1:] {
			tb.Rows = append(tb.Rows, RawRow{Number: i + 2, Values: r})
		}
		res, err := Build(tb, Options{KeyColumn: "ID"})
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, r := range res.Rows {
			if r.Key == "" || seen[r.Key] {
				t.Fatalf("bad key %q in %s", r.Key, data)
			}
			seen[r.Key] = true
			if _, err := NewPayload(res.Ref, "ID", r).Encode(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
