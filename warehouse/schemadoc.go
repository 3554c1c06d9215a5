package warehouse

import (
	"fmt"
	"strings"
)

// SchemaMarkdown renders the analysts' reference of every view (warehouse/SCHEMA.md is
// generated from it; a test keeps the file current).
func SchemaMarkdown() string {
	var b strings.Builder
	b.WriteString(`# The warehouse schema (analysts' reference)

Generated from warehouse/schema.go and warehouse/tables.go; do not edit by hand
(` + "`go test ./warehouse -run TestSchemaDoc -update`" + ` rewrites it).

Query the **views** below (database ` + "`pmo`" + ` unless ` + "`warehouse.database`" + ` says otherwise). Each returns the
current, non-deleted state: one row per key, whatever merges have or have not happened.
Underneath, every view reads a versioned table ` + "`<name>_versions`" + ` (ReplacingMergeTree(version,
is_deleted)) with ` + "`FINAL`" + `; never query those directly unless you want history.

` + "`work_items`" + ` and ` + "`transitions`" + ` (the largest) read a snapshot of that state taken at the end of
every sync run that changed something, so they answer fast and always show the state of a
completed run, never one half way through. ` + "`work_items_live`" + ` and ` + "`transitions_live`" + ` read the
versions directly, for the state up to the last committed batch of a running sync.

Every table carries ` + "`tenant`" + `: with several client organisations in one warehouse, always filter
or group by it (or give each client a ClickHouse user with a row policy on ` + "`tenant`" + `).
Times are UTC with millisecond precision.

`)
	for _, t := range append(append([]*Table{}, Canonical...), Bookkeeping...) {
		fmt.Fprintf(&b, "## `%s`\n\n%s\n\nOne row per (%s).\n\n| column | type | meaning |\n| --- | --- | --- |\n", t.Name, t.Doc, strings.Join(viewKey(t), ", "))
		cols := columnsOf(t)
		for _, c := range cols {
			if c.Name == "version" || c.Name == "is_deleted" || (t.Canonical && c.Name == "generation") {
				continue
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", c.Name, strings.TrimSuffix(c.Type, " CODEC(ZSTD(3))"), c.Doc)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func viewKey(t *Table) []string {
	if t.Canonical {
		return append([]string{"tenant", "source"}, t.Key...)
	}
	return t.Key
}
