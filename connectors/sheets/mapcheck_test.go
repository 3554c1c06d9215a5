package sheets

import (
	"context"
	"fmt"
	"strings"
	"testing"

	sf "github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
)

// requireRiskOwner extends the built-in mapping with a column the RAID log lacks.
const requireRiskOwner = `extends: default
entities:
  work_items:
    fields:
      attributes.risk_owner: {column: Risk Owner}
`

func overlay(t testing.TB, text string) *mappings.Mapping {
	t.Helper()
	base, err := mappings.DefaultFor("sheets", Kind().Mapping)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Parse("acme.yaml", []byte(text), base)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func compiled(t testing.TB, m *mappings.Mapping) *mappings.Mapper {
	t.Helper()
	mp, err := m.Compile(mappings.Env{Tenant: "default", Source: "portfolio", SourceKind: "sheets"})
	if err != nil {
		t.Fatal(err)
	}
	return mp
}

func TestMappingNamingAMissingColumnFailsTheTab(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.mapping = compiled(t, overlay(t, requireRiskOwner))
	err := e.sync(false)
	for _, want := range []string{"source portfolio", demoID, `tab "RAID Log"`, `column "Risk Owner"`, "acme.yaml:5:", "entities.work_items.fields.attributes.risk_owner.column", "stored rows are kept"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want it to name %q", err, want)
		}
	}
	// The register (a projects tab: the work_items entity does not map it) is written; the
	// RAID log is not, and the cursor does not move.
	if e.store.count() != 2 || e.store.cursor != nil {
		t.Fatalf("stored %d rows, cursor %s", e.store.count(), e.store.cursor)
	}
	// The column added to the sheet: the tab syncs.
	must(t, e.fake.SetCell(demoID, "RAID Log", 1, 7, sf.T("Risk Owner")))
	e.mustSync()
	if e.store.count() != 5 {
		t.Fatalf("stored %d rows", e.store.count())
	}
	// Renamed away again: an error, and nothing stored is deleted or rewritten.
	must(t, e.fake.SetCell(demoID, "RAID Log", 1, 7, sf.T("Owner of risk")))
	written := e.store.written
	if err := e.sync(false); err == nil || !strings.Contains(err.Error(), `column "Risk Owner"`) {
		t.Fatalf("renamed column: %v", err)
	}
	if e.store.count() != 5 || e.store.deleted != 0 || e.store.written != written {
		t.Fatalf("stored %d deleted %d written %d", e.store.count(), e.store.deleted, e.store.written-written)
	}
}

func TestOptionalColumnsDoNotFail(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	// Alternatives none of which the RAID log has, a fallback, a default: all optional.
	e.mapping = compiled(t, overlay(t, `extends: default
entities:
  work_items:
    fields:
      attributes.a: {column: [Risk Owner, Accountable]}
      attributes.b: {column: Risk Owner, fallback: {column: Owner}}
      attributes.c: {column: Risk Owner, default: ""}
`))
	e.mustSync()
	if e.store.count() != 5 {
		t.Fatalf("stored %d rows", e.store.count())
	}
}

func TestE2EMappingNamingAMissingColumn(t *testing.T) {
	x := newE2E(t)
	x.run(t)
	items := func() string { return fmt.Sprint(x.query(t, "SELECT count() AS n FROM DB.work_items")[0]["n"]) }
	if items() != "3" {
		t.Fatalf("items %s", items())
	}
	// The admin's mapping now requires a column the RAID log does not have: the engine
	// checks the stored rows before re-applying a changed mapping, the run fails naming
	// the tab and the column, and the stored rows stay as they were.
	x.src.Mapping = overlay(t, requireRiskOwner)
	x.src.MappingText = []byte(requireRiskOwner)
	x.fake.ResetLog()
	run, err := x.eng.Sync(context.Background(), x.src, pmosync.Options{})
	if err == nil || run.Status != "failed" || !strings.Contains(run.Error, `tab "RAID Log": column "Risk Owner" required by the mapping (acme.yaml:5:`) {
		t.Fatalf("run %+v err %v", run, err)
	}
	if items() != "3" {
		t.Fatalf("items after the failed run: %s", items())
	}
	// `pmohub mappings validate` (a Sample over the stored records) reports it too.
	s := compiled(t, x.src.Mapping).NewSample()
	err = x.wh.RawRecords(context.Background(), "portfolio", StreamRows, nil, func(r warehouse.StoredRaw) error {
		s.Map(mappings.Record{Stream: StreamRows, NativeID: r.NativeID, Payload: r.Payload})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var diags []string
	for _, d := range s.Diagnostics() {
		if !d.Warning {
			diags = append(diags, d.String())
		}
	}
	if len(diags) != 1 || !strings.Contains(diags[0], `acme.yaml:5:`) || !strings.Contains(diags[0], `column "Risk Owner" is not in spreadsheet "PMO Portfolio" tab "RAID Log" (3 stored rows)`) {
		t.Fatalf("validate: %q", diags)
	}
}
