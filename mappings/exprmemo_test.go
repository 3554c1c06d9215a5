package mappings

import (
	"fmt"
	"reflect"
	"testing"
)

const memoMapping = `entities:
  work_items:
    stream: s
    fields:
      item_id: {template: "{native_id}"}
      attributes.team: {expr: 'payload.fields.labels.exists(l, l.startsWith("team-")) ? payload.fields.labels.filter(l, l.startsWith("team-"))[0].substring(5) : ""'}
      title: {expr: 'payload.fields.summary + "!"'}
      estimate: {expr: 'payload.fields.points * 2.0'}
      attributes.kind: {expr: 'has(payload.fields.type) ? string(payload.fields.type) : "none"'}
      attributes.parent: {expr: 'payload.fields.parent.key'}
      attributes.native: {expr: 'source.native_id'}
      labels: {expr: 'payload.fields.labels'}
`

// memoPayloads repeat a few shapes: lists, nulls, absent keys, numbers that fail to
// multiply, a parent that is an object, a text or absent.
func memoPayloads(n int) [][]byte {
	shapes := []string{
		`{"fields":{"labels":["backend","team-%d"],"summary":"S%d","points":%d,"type":"Story","parent":{"key":"P-%d"}}}`,
		`{"fields":{"labels":[],"summary":"S%d","points":"%d","type":null,"parent":"P-%d"}}`,
		`{"fields":{"labels":["team-%d"],"summary":"S%d","points":null,"parent":{"other":%d}}}`,
		`{"fields":{"summary":"S%d","points":%d.5,"type":7}}`,
		`{"fields":"flat %d"}`,
	}
	out := make([][]byte, n)
	for i := range out {
		sh := shapes[i%len(shapes)]
		args := []any{i % 3, i % 4, i % 5, i % 2}
		out[i] = fmt.Appendf(nil, sh, args[:countVerbs(sh)]...)
	}
	return out
}

func countVerbs(s string) int {
	n := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] == 'd' {
			n++
		}
	}
	return n
}

func exprSrcs(mp *Mapper) []*exprSrc {
	var out []*exprSrc
	for _, b := range mp.byStream["s"] {
		for _, f := range b.fields {
			if s, ok := f.src.(*exprSrc); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestExprMemoSameRowsAndProblems maps the same records with and without the memo: rows
// and problems must be equal, whatever the inputs' shapes.
func TestExprMemoSameRowsAndProblems(t *testing.T) {
	memo, plain := compile(t, memoMapping), compile(t, memoMapping)
	memoized := 0
	for _, s := range exprSrcs(memo) {
		if s.memo {
			memoized++
		}
		if s.text == "source.native_id" && s.memo {
			t.Errorf("an expression reading source is memoized")
		}
	}
	if memoized != 6 {
		t.Fatalf("%d expressions memoized, want 6", memoized)
	}
	for _, s := range exprSrcs(plain) {
		s.memo = false
	}
	problems := 0
	for i, p := range memoPayloads(3000) {
		rec := Record{Stream: "s", NativeID: fmt.Sprint(i), Payload: p}
		gotRows, gotProbs := memo.Map(rec)
		wantRows, wantProbs := plain.Map(rec)
		if !reflect.DeepEqual(rowValues(gotRows), rowValues(wantRows)) || !reflect.DeepEqual(gotProbs, wantProbs) {
			t.Fatalf("record %d %s:\nmemo  %v %v\nplain %v %v", i, p, rowValues(gotRows), gotProbs, rowValues(wantRows), wantProbs)
		}
		problems += len(gotProbs)
	}
	if problems == 0 {
		t.Fatal("no expression failed: the test lost its failing inputs")
	}
	// The same records through one worker's memos, expression by expression: results
	// equal to running it, and nearly all of them hits.
	var ms exprMemos
	for i, p := range memoPayloads(3000) {
		root, err := keepAll.decode(p)
		if err != nil {
			t.Fatal(err)
		}
		c := &rowCtx{mp: memo, rec: &Record{Stream: "s", NativeID: fmt.Sprint(i)}, root: root}
		for _, s := range exprSrcs(memo) {
			if !s.memo {
				continue
			}
			got, gotMsg := ms.eval(s, c)
			want, wantMsg := s.run(c)
			if !reflect.DeepEqual(got, want) || gotMsg != wantMsg {
				t.Fatalf("%s on %s: memo %v %q, run %v %q", s.text, p, got, gotMsg, want, wantMsg)
			}
		}
	}
	for s, m := range ms.by {
		if m.off || m.hits < 2900 {
			t.Errorf("%s: %d hits, %d misses, off %v", s.text, m.hits, m.misses, m.off)
		}
	}
}

func rowValues(rows []Row) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r.Values
	}
	return out
}

// TestExprMemoKeys checks that inputs CEL tells apart get different keys.
func TestExprMemoKeys(t *testing.T) {
	paths := [][]seg{{{kind: segKey, key: "a"}, {kind: segKey, key: "b"}}}
	keys := map[string]string{}
	for _, payload := range []string{`{}`, `{"a":null}`, `{"a":{}}`, `{"a":{"b":null}}`, `{"a":{"b":""}}`, `{"a":{"b":"1"}}`, `{"a":{"b":1}}`,
		`{"a":{"b":true}}`, `{"a":{"b":[]}}`, `{"a":{"b":[""]}}`, `{"a":{"b":["",""]}}`, `{"a":"b"}`, `{"a":1}`, `{"a":[]}`} {
		root, err := keepAll.decode([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		k, ok := memoKey(nil, paths, root)
		if !ok {
			t.Fatalf("%s: not keyed", payload)
		}
		if prev, dup := keys[string(k)]; dup {
			t.Errorf("%s and %s share the key %q", prev, payload, k)
		}
		keys[string(k)] = payload
	}
	for _, payload := range []string{`{"a":{"b":{"c":1}}}`, `{"a":{"b":[{"c":1}]}}`, `{"a":{"b":[[1]]}}`} {
		root, _ := keepAll.decode([]byte(payload))
		if _, ok := memoKey(nil, paths, root); ok {
			t.Errorf("%s: keyed, but objects and nested lists are not", payload)
		}
	}
}

// TestExprMemoTurnsOff drops the memo of an expression whose inputs never repeat.
func TestExprMemoTurnsOff(t *testing.T) {
	mp := compile(t, memoMapping)
	var title *exprSrc
	for _, s := range exprSrcs(mp) {
		if s.text == `payload.fields.summary + "!"` {
			title = s
		}
	}
	var ms exprMemos
	var probs []Problem
	for i := 0; i < memoTrial; i++ {
		root, _ := keepAll.decode(fmt.Appendf(nil, `{"fields":{"summary":"S%d"}}`, i))
		c := &rowCtx{mp: mp, rec: &Record{Stream: "s"}, root: root, probs: &probs}
		if v, _ := ms.eval(title, c); v.s != fmt.Sprintf("S%d!", i) {
			t.Fatalf("record %d: %q", i, v.s)
		}
	}
	if m := ms.by[title]; !m.off || m.results != nil {
		t.Fatalf("memo still on after %d misses (%d hits)", m.misses, m.hits)
	}
}
