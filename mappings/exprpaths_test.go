package mappings

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
)

// An expression that reads payload through constant keys makes the plan decode only those
// parts; rows are the same as with the whole record decoded.
func TestExprPayloadPaths(t *testing.T) {
	for _, tc := range []struct {
		expr  string
		paths []string // the kept chains; nil: the whole record
	}{
		{`payload.fields.labels.exists(l, l.startsWith("team-")) ? "t" : ""`, []string{"fields.labels"}},
		{`payload.fields.?customfield_10016.orValue(0.0) + payload["fields"]["priority"].id.size()`, []string{"fields.customfield_10016", "fields.priority.id"}},
		{`string(size(payload.fields)) + string(payload.key)`, []string{"fields", "key"}},
		{`payload.fields[payload.key].name`, []string{"fields", "key"}},
		{`payload.size() > 3 ? "many" : "few"`, nil},
		{`[payload].size() == 1 ? "one" : ""`, nil},
		{`has(payload.fields.assignee.emailAddress) ? "has" : "no"`, []string{"fields.assignee.emailAddress"}},
	} {
		m, err := Parse("x.yaml", []byte("version: 1\nentities:\n  work_items:\n    stream: issues\n    fields:\n      item_id: {path: id}\n      title: {expr: '"+tc.expr+"'}\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := m.Compile(Env{Source: "jira"})
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		var x *exprSrc
		for _, f := range mp.blocks[0].fields {
			if e, ok := f.src.(*exprSrc); ok {
				x = e
			}
		}
		var got []string
		for _, p := range x.payloadPaths {
			s := ""
			for i, sg := range p {
				if i > 0 {
					s += "."
				}
				s += sg.key
			}
			got = append(got, s)
		}
		if tc.paths == nil {
			if !x.wholePayload || !mp.plans["issues"].all {
				t.Errorf("%s: paths %v, want the whole record", tc.expr, got)
			}
			continue
		}
		if x.wholePayload || !reflect.DeepEqual(got, tc.paths) {
			t.Errorf("%s: paths %v whole %v, want %v", tc.expr, got, x.wholePayload, tc.paths)
		}
		// the same rows as from the whole record
		rec := Record{Stream: "issues", NativeID: "1", Payload: read(t, "testdata/issue-with-changelog.json")}
		rows, probs := mp.Map(rec)
		x.wholePayload = true
		mp.plans["issues"] = planFor(mp.blocks, false)
		all, allProbs := mp.Map(rec)
		if !reflect.DeepEqual(rows, all) || !reflect.DeepEqual(probs, allProbs) {
			t.Errorf("%s: planned %v %v, whole %v %v", tc.expr, rows, probs, all, allProbs)
		}
	}
}

func TestPlainASCIIMatchesByteLoop(t *testing.T) {
	naive := func(b []byte) bool {
		for _, c := range b {
			if c < 0x20 || c >= 0x80 || c == '\\' {
				return false
			}
		}
		return true
	}
	r := rand.New(rand.NewPCG(1, 2))
	special := []byte{0, 0x1f, 0x20, '\\', '"', 0x7f, 0x80, 0xff, 'a', '[', ']'}
	for range 200000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			if r.IntN(8) == 0 {
				b[i] = special[r.IntN(len(special))]
			} else {
				b[i] = byte(0x20 + r.IntN(0x5f))
			}
		}
		if got, want := !hasSpecial(b, true), naive(b); got != want {
			t.Fatalf("plain ASCII %q: %v, want %v", b, got, want)
		}
		if got, want := hasSpecial(b, false), bytes.IndexByte(b, '\\') >= 0 || bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 }); got != want {
			t.Fatalf("hasSpecial(%q, false) = %v, want %v", b, got, want)
		}
	}
}
