package admin

import (
	"reflect"
	"testing"

	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// A preview of the mapping in force over rows it produced finds nothing to change, in
// every table: the rows read back from chDB (RowBinary) format exactly as mapped ones,
// and as the JSON reader (the server backend's path) formats them.
func TestPreviewOfCurrentMappingIsUnchanged(t *testing.T) {
	svc, src, wh := seedJira(t, 2500) // several chunks, mapped in parallel
	res, err := svc.engine.Remap(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Preview(ctx, "jira", nil, 5)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, d := range p.Diff {
		if d.Added+d.Removed+d.Changed != 0 {
			t.Errorf("%s: %+v", d.Table, d)
		}
		total += d.Unchanged
	}
	if int64(total) != res.Rows || len(p.Diff) < 2 {
		t.Fatalf("unchanged %d rows in %d tables, re-mapped %d", total, len(p.Diff), res.Rows)
	}
	g, _, err := wh.ActiveGeneration(ctx, "jira")
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range warehouse.Canonical {
		rb, js := map[string]oldRow{}, map[string]oldRow{}
		if err := svc.loadCurrent(ctx, tb, "jira", g.Generation, rb, true, ""); err != nil {
			t.Fatal(err)
		}
		if err := svc.loadCurrent(ctx, tb, "jira", g.Generation, js, false, ""); err != nil {
			t.Fatal(err)
		}
		if len(rb) != len(js) {
			t.Fatalf("%s: %d rows as RowBinary, %d as JSON", tb.Name, len(rb), len(js))
		}
		for k, o := range rb {
			vals, err := o.text(tb)
			if err != nil || o.raw == nil || !reflect.DeepEqual(vals, js[k].vals) {
				t.Fatalf("%s %q: RowBinary and JSON readers disagree: %q %q %v", tb.Name, k, vals, js[k].vals, err)
			}
		}
	}
}

// Validate maps chunks of records in parallel, each into its own check sample (which
// skips the fields no diagnostic reads, here the expression): merged in order, they
// report exactly what one serial, full sample does. Preview's full samples give the same
// unmapped values, problem counts and examples as the serial one.
func TestParallelSampleEqualsSerial(t *testing.T) {
	svc, _, wh := seedJira(t, 2500)
	text := []byte(`extends: default
entities:
  work_items:
    fields:
      priority: {path: fields.priority.name, values: {High: high}}
      sprint: {path: [fields.customfield_404, fields.priority.name]}
      attributes.odd: {expr: 'int(payload.id) % 7 == 0 ? payload.nope : "x"'}
`)
	r, err := svc.Validate(ctx, "jira", text)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := svc.source("jira")
	_, mp, _, err := svc.parse(src, text)
	if err != nil || mp == nil {
		t.Fatal(err)
	}
	if err := loadLookups(ctx, wh, "jira", mp); err != nil {
		t.Fatal(err)
	}
	serial := mp.NewSample()
	for _, stream := range mp.Streams() {
		err := wh.RawRecords(ctx, "jira", stream, nil, func(sr warehouse.StoredRaw) error {
			serial.Map(mappings.Record{Stream: stream, NativeID: sr.NativeID, Payload: sr.Payload})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := newReport("jira", serial.Diagnostics())
	if r.Errors == 0 || r.Warnings == 0 || !reflect.DeepEqual(r.Problems, want.Problems) {
		t.Fatalf("parallel %+v\nserial %+v", r.Problems, want.Problems)
	}
	p, err := svc.Preview(ctx, "jira", text, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Unmapped, serial.Unmapped()) || !reflect.DeepEqual(p.Counts, serial.Problems()) ||
		!reflect.DeepEqual(p.Examples, serial.ProblemExamples()) || len(p.Examples) != mappings.MaxProblemExamples {
		t.Fatalf("parallel %+v %+v\nserial %+v %+v", p.Unmapped, p.Counts, serial.Unmapped(), serial.Problems())
	}
}

// Analysts see the old rows until a re-mapping switches, whole: polled while the new
// generation is written (read, mapped in parallel, inserted), the live view shows either
// every row as the old mapping made it or every row as the new one does, never a mix and
// never a partial count.
func TestRemapShowsOldRowsUntilTheSwitch(t *testing.T) {
	const n = 20000
	svc, src, wh := seedJira(t, n)
	if _, err := svc.engine.Remap(ctx, src); err != nil {
		t.Fatal(err)
	}
	text := []byte("extends: default\nentities:\n  work_items:\n    fields:\n      title: {template: \"NEW {key}\"}\n")
	m, err := mappings.Parse("new.yaml", text, src.Mapping)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := svc.engine.RemapWith(ctx, src, m, text)
		done <- err
	}()
	q := "SELECT count() AS n, countIf(startsWith(title, 'NEW ')) AS new FROM " + wh.Layout().Q("work_items_live") + " WHERE source = 'jira'"
	polls, sawOld, sawNew := 0, false, false
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		var got []struct{ N, New uint64 }
		if err := wh.QueryInto(ctx, q, &got); err != nil {
			t.Fatal(err)
		}
		polls++
		switch {
		case got[0].N == n && got[0].New == 0:
			sawOld = true
		case got[0].N == n && got[0].New == n:
			sawNew = true
		default:
			t.Fatalf("poll %d: %d rows, %d of them new", polls, got[0].N, got[0].New)
		}
	}
	if !sawNew {
		t.Fatalf("after the switch the new rows are not visible (%d polls, old seen %v)", polls, sawOld)
	}
	t.Logf("%d polls, old rows seen during the re-mapping: %v", polls, sawOld)
}
