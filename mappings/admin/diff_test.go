package admin

import (
	"bytes"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// Mapped rows encode to the very bytes chDB gives back for the rows they became, so the
// diff finds unchanged rows without decoding them; a changed value makes them differ.
func TestUnchangedRowsCompareAsBytes(t *testing.T) {
	svc, src, wh := seedJira(t, 300)
	if _, err := svc.engine.Remap(ctx, src); err != nil {
		t.Fatal(err)
	}
	g, _, err := wh.ActiveGeneration(ctx, "jira")
	if err != nil {
		t.Fatal(err)
	}
	have, hashes := map[*warehouse.Table]map[string]oldRow{}, map[*warehouse.Table]map[string]oldRow{}
	for _, tb := range warehouse.Canonical {
		have[tb], hashes[tb] = map[string]oldRow{}, map[string]oldRow{}
		if err := svc.loadCurrent(ctx, tb, "jira", g.Generation, have[tb], true, ""); err != nil {
			t.Fatal(err)
		}
		m := hashes[tb]
		if err := svc.loadHashes(ctx, tb, "jira", g.Generation, &m); err != nil {
			t.Fatal(err)
		}
		hashes[tb] = m
		if len(hashes[tb]) != len(have[tb]) {
			t.Fatalf("%s: %d hashes, %d rows", tb.Name, len(hashes[tb]), len(have[tb]))
		}
	}
	asrc, _ := svc.source("jira")
	_, mp, _, err := svc.parse(asrc, src.MappingText)
	if err != nil || mp == nil {
		t.Fatal(err)
	}
	if err := loadLookups(ctx, wh, "jira", mp); err != nil {
		t.Fatal(err)
	}
	same, rows := 0, 0
	err = wh.RawRecords(ctx, "jira", "issues", nil, func(sr warehouse.StoredRaw) error {
		out, _ := mp.Map(mappings.Record{Stream: "issues", NativeID: sr.NativeID, Payload: sr.Payload})
		for _, r := range out {
			rows++
			m := prepare(r, new([]byte))
			if old, ok := have[r.Table][r.Key]; ok && m.enc != nil && bytes.Equal(old.raw, m.enc) {
				same++
			}
			if h := hashes[r.Table][r.Key]; m.enc == nil || xxhash.Sum64(m.enc) != h.hash {
				t.Fatalf("%s %s: the stored row's hash differs from its encoding's", r.Table.Name, r.Key)
			}
			if r.Table == warehouse.WorkItems {
				for i, c := range r.Table.Columns {
					if c.Name == "title" {
						r.Values[i] = "changed"
					}
				}
				enc := prepare(r, new([]byte)).enc
				if old := have[r.Table][r.Key]; bytes.Equal(old.raw, enc) || xxhash.Sum64(enc) == hashes[r.Table][r.Key].hash {
					t.Fatalf("%s: a changed title encodes or hashes as the stored row", r.Key)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows < 600 || same != rows {
		t.Fatalf("%d of %d mapped rows encode as stored", same, rows)
	}
}

// A value with no exact encoding (a time finer than the warehouse's milliseconds) cannot be
// compared by hash: such rows are read back by key once mapping is done and compared as
// text, so the counts and the changes shown are still exact.
func TestPreviewComparesRowsWithoutEncodingAsText(t *testing.T) {
	svc, src, _ := seedJira(t, 120)
	if _, err := svc.engine.Remap(ctx, src); err != nil {
		t.Fatal(err)
	}
	text := []byte("extends: default\nentities:\n  work_items:\n    fields:\n      created_at: {expr: 'timestamp(\"2030-01-02T03:04:05.123456789Z\")'}\n")
	p, err := svc.Preview(ctx, "jira", text, 5)
	if err != nil || !p.Valid {
		t.Fatal(err, p.Problems)
	}
	var wi *TableDiff
	for i := range p.Diff {
		if p.Diff[i].Table == "work_items" {
			wi = &p.Diff[i]
		}
	}
	if wi == nil || wi.Changed != 120 || wi.Unchanged != 0 || wi.Added+wi.Removed != 0 || len(wi.Examples) != 5 {
		t.Fatalf("work_items diff %+v", wi)
	}
	for _, ex := range wi.Examples {
		if len(ex.Changes) != 1 || ex.Changes[0].Field != "created_at" || ex.Changes[0].After == ex.Changes[0].Before {
			t.Fatalf("example %+v", ex)
		}
	}
}
