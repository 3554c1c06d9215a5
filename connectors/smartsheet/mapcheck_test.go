package smartsheet

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pmohub/pmohub/mappings"
)

func mapperFor(t testing.TB, text string) *mappings.Mapper {
	t.Helper()
	base, err := mappings.DefaultFor("smartsheet", Kind().Mapping)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Parse("plans.yaml", []byte(text), base)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := m.Compile(mappings.Env{Tenant: "default", Source: "plans", SourceKind: "smartsheet"})
	if err != nil {
		t.Fatal(err)
	}
	return mp
}

const requireBudget = "extends: default\nentities:\n  work_items:\n    fields:\n      attributes.budget: {column: Budget}\n"

func TestMappingNamingAMissingColumnFailsTheSheet(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan A")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	h.mapping = mapperFor(t, requireBudget)
	_, err := h.syncAll()
	for _, want := range []string{"source plans", fmt.Sprintf(`sheet "Plan A" (%d)`, p.sheet), `column "Budget" required by the mapping (plans.yaml:5:`, "stored rows are kept"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
	}
	if n := h.store.count(StreamRows); n != 0 {
		t.Fatalf("stored %d rows of a sheet the mapping cannot map", n)
	}
	// The built-in mapping alone (alternative titles only) maps the sheet.
	h.mapping = mapperFor(t, "extends: default\n")
	h.mustSync()
	if n := h.store.count(StreamRows); n != 4 {
		t.Fatalf("stored %d rows", n)
	}
	// The mapping changes while the sheet does not: the stored rows are checked, with no
	// extra request, and the sheet fails until the mapping or the sheet is fixed.
	h.mapping = mapperFor(t, requireBudget)
	n, err := h.syncAll()
	if err == nil || !strings.Contains(err.Error(), `column "Budget"`) || n != 1 {
		t.Fatalf("mapping change: %d requests, err %v", n, err)
	}
	if c := h.store.count(StreamRows); c != 4 {
		t.Fatalf("stored %d rows after the failed check", c)
	}
	h.mapping = mapperFor(t, "extends: default\nentities:\n  work_items:\n    fields:\n      attributes.budget: {column: [Budget, Cost]}\n")
	if n := h.mustSync(); n != 1 {
		t.Fatalf("%d requests", n)
	}
}
