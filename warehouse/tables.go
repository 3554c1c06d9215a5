package warehouse

// Bookkeeping tables: the raw layer, sync runs, cursors and mapping generations. Like the
// canonical tables they are versioned (<name>_versions) and read through a view of their
// own name that shows the current state.
var (
	RawRecords = &Table{
		Name: "raw_records", Key: []string{"tenant", "source", "stream", "native_id"},
		Doc: "Each source record exactly as fetched (the raw layer). Mappings are re-applied from here without calling any source.",
		Columns: []Column{
			{"tenant", tLC, "The tenant."},
			{"source", tLC, "The configured source name."},
			{"stream", tLC, "What kind of record (`issues`, `rows`, `pulls`, …)."},
			{"native_id", tStr, "The source's stable id for the record."},
			{"payload", "String CODEC(ZSTD(3))", "The JSON as fetched."},
			{"changed_at", tTime, "The source's change time of this version, when it has one."},
			{"fetched_at", "DateTime64(3, 'UTC')", "When pmohub fetched it."},
			{"version", "UInt64", "Source change order (storage only)."},
			{"is_deleted", "UInt8", "Tombstone flag (storage only)."},
		},
	}
	SyncRuns = &Table{
		Name: "sync_runs", Key: []string{"tenant", "source", "run_id"},
		Doc: "One row per sync run of a source.",
		Columns: []Column{
			{"tenant", tLC, "The tenant."},
			{"source", tLC, "The source synced."},
			{"run_id", tStr, "Unique id of the run."},
			{"started_at", "DateTime64(3, 'UTC')", "Start."},
			{"finished_at", tTime, "End; NULL while running."},
			{"status", tLC, "`running`, `succeeded`, `failed` or `cancelled`."},
			{"full", "Bool", "true for a full (cursor-less) sync."},
			{"records_read", "UInt64", "Records fetched from the source."},
			{"records_written", "UInt64", "Canonical rows written."},
			{"records_deleted", "UInt64", "Records deleted (tombstones)."},
			{"requests", "UInt64", "HTTP requests made to the source."},
			{"throttled", "UInt64", "Rate-limited answers received."},
			{"mapping_problems", "UInt64", "Values the mapping could not convert."},
			{"source_problems", "UInt64", "Source data kept but reported (a duplicate or empty key, a cell that does not fit its column); the log says where."},
			{"error", tStr, "Why the run failed (secrets redacted)."},
			{"version", "UInt64", "Row version (storage only)."},
			{"is_deleted", "UInt8", "Unused; always 0."},
		},
	}
	SyncCursors = &Table{
		Name: "sync_cursors", Key: []string{"tenant", "source", "stream"},
		Doc: "Where each stream's next incremental sync starts; saved only after the data it covers is written.",
		Columns: []Column{
			{"tenant", tLC, "The tenant."},
			{"source", tLC, "The source."},
			{"stream", tLC, "The stream."},
			{"cursor", tStr, "The connector's cursor (JSON)."},
			{"run_id", tStr, "The run that saved it."},
			{"updated_at", "DateTime64(3, 'UTC')", "When it was saved."},
			{"version", "UInt64", "Save order (storage only)."},
			{"is_deleted", "UInt8", "1 when reset by a full sync."},
		},
	}
	SourceGenerations = &Table{
		Name: "source_generations", Key: []string{"tenant", "source"},
		Doc: "The active mapping generation of each source: the canonical views show only its rows, so a re-mapping switches atomically.",
		Columns: []Column{
			{"tenant", tLC, "The tenant."},
			{"source", tLC, "The source."},
			{"generation", "UInt32", "The active generation."},
			{"mapping_hash", tStr, "SHA-256 of the mapping that produced it."},
			{"activated_at", "DateTime64(3, 'UTC')", "When it became active."},
			{"version", "UInt64", "Row version (storage only)."},
			{"is_deleted", "UInt8", "Unused; always 0."},
		},
	}
)

// MappingVersions keeps every applied mapping of every source (who, when, what).
var MappingVersions = &Table{
	Name: "mapping_versions", Key: []string{"tenant", "source", "mapping_version"},
	Doc: "Every mapping version applied to a source, for history and rollback.",
	Columns: []Column{
		{"tenant", tLC, "The tenant."},
		{"source", tLC, "The source."},
		{"mapping_version", "UInt32", "1, 2, 3, … per source."},
		{"mapping", tStr, "The mapping file's text as applied."},
		{"mapping_hash", tStr, "SHA-256 of the text."},
		{"generation", "UInt32", "The generation it produced."},
		{"applied_by", tStr, "Who applied it (user name or API token label)."},
		{"applied_at", "DateTime64(3, 'UTC')", "When."},
		{"note", tStr, "Why, or what changed (a summary of the diff)."},
		{"version", "UInt64", "Row version (storage only)."},
		{"is_deleted", "UInt8", "Unused; always 0."},
	},
}

// Bookkeeping lists the non-canonical versioned tables.
var Bookkeeping = []*Table{RawRecords, SyncRuns, SyncCursors, SourceGenerations, MappingVersions}

// columnsOf returns a table's storage columns.
func columnsOf(t *Table) []Column {
	if t.Canonical {
		return t.AllColumns()
	}
	return t.Columns
}

// sortKey returns the table's sorting key.
func sortKey(t *Table) []string {
	if t.Canonical {
		return append([]string{"tenant", "source", "generation"}, t.Key...)
	}
	return t.Key
}
