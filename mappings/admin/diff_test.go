package admin

import (
	"bytes"
	"testing"

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
	have := map[*warehouse.Table]map[string]oldRow{}
	for _, tb := range warehouse.Canonical {
		have[tb] = map[string]oldRow{}
		if err := svc.loadCurrent(ctx, tb, "jira", g.Generation, have[tb], true); err != nil {
			t.Fatal(err)
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
			if r.Table == warehouse.WorkItems {
				for i, c := range r.Table.Columns {
					if c.Name == "title" {
						r.Values[i] = "changed"
					}
				}
				if old := have[r.Table][r.Key]; bytes.Equal(old.raw, prepare(r, new([]byte)).enc) {
					t.Fatalf("%s: a changed title encodes as the stored row", r.Key)
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
