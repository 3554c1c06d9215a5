package mappings

import (
	"testing"
)

// FuzzCheckExpr loads mappings with CEL expressions and where-expressions, then maps and
// samples a record with them: any text gives problems or rows, never a panic or a hang.
func FuzzCheckExpr(f *testing.F) {
	f.Add("row.labels.exists(l, l.startsWith(\"team-\")) ? \"a\" : \"b\"", "each.field == \"status\"", `{"fields":{"labels":["team-x"]}}`)
	f.Add("payload.fields.?customfield_10016.orValue(payload.fields.customfield_10026)", "true", `{"fields":{"customfield_10026":3}}`)
	f.Add("toTime(payload.created) < now ? \"red\" : \"green\"", "payload.x > 1", `{"created":"2024-01-02T10:00:00.000+0100","x":2}`)
	f.Add("payload.", "1 +", `[`)
	f.Fuzz(func(t *testing.T, field, where, payload string) {
		text := "entities:\n  work_items:\n    stream: s\n    where: [{expr: " + yamlQuote(where) + "}]\n    fields:\n      item_id: {value: X}\n      labels: {path: fields.labels}\n      title: {expr: " + yamlQuote(field) + "}\n"
		mp, diags := Check("f.yaml", []byte(text), nil, testEnv)
		if mp == nil {
			if len(diags) == 0 {
				t.Fatal("no mapper and no problems")
			}
			for _, d := range diags {
				if d.Pos.Line == 0 && d.Pos.File == "" {
					t.Fatalf("problem without a location: %v", d)
				}
			}
			return
		}
		s := mp.NewSample()
		s.Map(Record{Stream: "s", NativeID: "1", Payload: []byte(payload)})
		s.Diagnostics()
	})
}

// yamlQuote single-quotes text for a YAML flow scalar.
func yamlQuote(s string) string {
	out := "'"
	for _, r := range s {
		switch {
		case r == '\'':
			out += "''"
		case r == '\n' || r == '\r' || r < 0x20:
			out += " "
		default:
			out += string(r)
		}
	}
	return out + "'"
}
