package mappings

import (
	"strings"
	"testing"

	"github.com/pmohub/pmohub/warehouse"
)

// FuzzScopedValues maps records through scoped value maps and a fallback: the status
// category is always one of the maps' targets or the default, whatever the payload.
func FuzzScopedValues(f *testing.F) {
	f.Add(`{"fields":{"project":{"key":"OPS"},"status":{"name":"Resolved"}}}`, "OPS")
	f.Add(`{"fields":{"issuetype":{"name":"Bug"},"cat":"Verified"}}`, "")
	f.Add(`{"fields":{"status":{"name":["a",1]},"project":null}}`, "'")
	f.Add(`[`, "x")
	f.Fuzz(func(t *testing.T, payload, project string) {
		text := "entities:\n  work_items:\n    stream: s\n    fields:\n      item_id: {value: X}\n" + indentBlock(`status_category:
  path: fields.status.name
  fallback: {path: fields.cat}
  values: {Done: done, "In Progress": in_progress}
  scoped:
    - when: {path: fields.project.key, equals: `+yamlQuote(project)+`}
      values: {Resolved: done, Triage: todo}
    - when: {path: fields.issuetype.name, in: [Bug]}
      values: {Verified: done}
  default: todo`, "      ")
		mp, diags := Check("f.yaml", []byte(text), nil, testEnv)
		if mp == nil {
			t.Fatalf("problems %v", diags)
		}
		rows, _ := mp.Map(Record{Stream: "s", NativeID: "1", Payload: []byte(payload)})
		for _, r := range rowsOf(rows, warehouse.WorkItems) {
			switch r["status_category"] {
			case "done", "in_progress", "todo":
			default:
				t.Fatalf("status_category %q", r["status_category"])
			}
		}
	})
}

// FuzzIdentities loads identities sections: any names give problems or a consistent
// alias map (every alias resolves to a canonical identity that is no alias itself).
func FuzzIdentities(f *testing.F) {
	f.Add("ana.lima@acme.example", "acme-gh:ana", "ana@old-domain.com", "bo@x")
	f.Add("a", "A", "", "a")
	f.Add("x", "y", "y", "y")
	f.Fuzz(func(t *testing.T, canonical, a1, a2, other string) {
		text := minimalEntities + "identities:\n  aliases:\n    - {canonical: " + yamlQuote(canonical) + ", also: [" +
			yamlQuote(a1) + ", " + yamlQuote(a2) + "]}\n    - {canonical: " + yamlQuote(other) + ", also: [" + yamlQuote(a1+"2") + "]}\n"
		mp, diags := Check("f.yaml", []byte(text), nil, testEnv)
		if mp == nil {
			for _, d := range diags {
				if d.Pos.Line == 0 {
					t.Fatalf("problem without a line: %v", d)
				}
			}
			return
		}
		for alias, cn := range mp.Aliases() {
			if got := mp.CanonicalPerson(alias); got != cn {
				t.Fatalf("CanonicalPerson(%q) = %q, want %q", alias, got, cn)
			}
			if mp.CanonicalPerson(cn) != cn || strings.EqualFold(alias, cn) {
				t.Fatalf("canonical %q of %q is itself an alias", cn, alias)
			}
		}
	})
}
