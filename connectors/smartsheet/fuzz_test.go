package smartsheet

import (
	"encoding/json"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzDecodeCell feeds arbitrary cells of every column type: decoding must not panic and
// must yield a JSON-encodable value.
func FuzzDecodeCell(f *testing.F) {
	f.Add("CONTACT_LIST", `"a@batie.com"`, `{"objectType":"CONTACT","email":"a@b.c","name":"A"}`, "Test Account")
	f.Add("MULTI_PICKLIST", ``, `{"objectType":"MULTI_PICKLIST","values":["a",1,null]}`, "a, 1")
	f.Add("PREDECESSOR", `"8FS +1w"`, `{"objectType":"PREDECESSOR_LIST","predecessors":[{"rowId":3,"type":"FS","lag":{"objectType":"DURATION","weeks":1}}]}`, "")
	f.Add("TEXT_NUMBER", `0.25`, ``, "25%")
	f.Add("ABSTRACT_DATETIME", `"2017-09-04T08:00:00"`, ``, "")
	f.Add("DURATION", `"1w 2d 4h"`, ``, "")
	f.Add("CHECKBOX", `"yes"`, `[]`, "")
	f.Fuzz(func(t *testing.T, typ, value, object, display string) {
		col := &Column{ID: 1, Title: "C", Type: typ, Tags: []string{"GANTT_DURATION"}}
		cell := &Cell{ColumnID: 1, DisplayValue: display}
		if json.Valid([]byte(value)) {
			cell.Value = jsontext.Value(value)
		}
		if json.Valid([]byte(object)) {
			cell.ObjectValue = jsontext.Value(object)
		}
		v, _ := decodeCell(col, cell)
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("decoded %#v does not encode: %v", v, err)
		}
		_ = valueText(v)
	})
}

// FuzzParseDuration checks the duration reader on arbitrary text.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"5d", "~1w 2d", "4h 30m", "-2d", "1.5w", "d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseDuration(s)
		if !ok && d != 0 {
			t.Fatalf("%q: rejected but %v", s, d)
		}
	})
}

// FuzzSheetPayload reads arbitrary GET /sheets/{id} answers into record payloads.
func FuzzSheetPayload(f *testing.F) {
	f.Add([]byte(`{"id":1,"name":"s","version":2,"columns":[{"id":1,"title":"A","type":"TEXT_NUMBER","primary":true},{"id":2,"title":"Status","type":"PICKLIST"}],"rows":[{"id":10,"cells":[{"columnId":1,"value":"x"},{"columnId":2,"value":"Complete"}]},{"id":11,"parentId":10,"cells":[{"columnId":9,"value":1}]}]}`))
	f.Add([]byte(`{"version":3}`))
	f.Add([]byte(`{"id":1,"columns":[],"rows":[{"id":1,"parentId":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var sh Sheet
		if json.Unmarshal(data, &sh) != nil {
			return
		}
		v, err := newSheetView("plans", SheetConfig{Entity: entityWorkItems}, &sh)
		if err != nil {
			return
		}
		h := hierarchy(sh.Rows)
		keys := map[int64]string{}
		for i := range sh.Rows {
			keys[sh.Rows[i].ID] = v.rowKey(&sh.Rows[i])
		}
		for i := range sh.Rows {
			if _, err := json.Marshal(v.payload(&sh.Rows[i], h, keys)); err != nil {
				t.Fatal(err)
			}
		}
	})
}
