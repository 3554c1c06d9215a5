package warehouse

import (
	"context"
	"fmt"
	"time"
)

// Migration is one versioned schema change. Statements must be idempotent (IF NOT EXISTS,
// OR REPLACE) so that a migration interrupted half way is simply run again.
type Migration struct {
	ID          uint32
	Description string
	Statements  func(l Layout) []string
}

// Migrations is the schema's history. Never edit a released migration: add one. One that
// changes a canonical table's columns must also redefine its row_hash (rowhash.go) and
// MATERIALIZE it, or previews fall back to hashing at read time.
var Migrations = []Migration{
	{1, "portfolio model, raw layer, sync bookkeeping", func(l Layout) []string {
		var out []string
		for _, t := range []*Table{RawRecords, SyncRuns, SyncCursors, SourceGenerations} {
			out = append(out, l.createStorage(t)...)
		}
		for _, t := range Canonical {
			out = append(out, l.createStorage(t)...)
		}
		return out
	}},
	{2, "mapping history", func(l Layout) []string { return l.createStorage(MappingVersions) }},
	{3, "people.canonical_id from identity aliases", func(l Layout) []string {
		return l.addColumn(People, "canonical_id String AFTER email")
	}},
	{4, "transitions.to_class: active or waiting statuses from the mapping", func(l Layout) []string {
		out := l.addColumn(Transitions, "to_class LowCardinality(String) AFTER to_category")
		if l.Cluster == "" {
			// Migrate rebuilds the snapshot, with the column, once the migrations ran.
			out = append(out, "DROP TABLE IF EXISTS "+l.Snapshot(Transitions))
		}
		return out
	}},
	{5, "sync_runs.source_problems: source data kept but reported", func(l Layout) []string {
		return l.addColumn(SyncRuns, "source_problems UInt64 AFTER mapping_problems")
	}},
	// Parts written before this are hashed when read, and stored when merged.
	{6, "row_hash on canonical tables, for mapping previews", func(l Layout) []string {
		var out []string
		for _, t := range Canonical {
			out = append(out, l.addColumn(t, rowHashColumn(t))...)
		}
		return out
	}},
}

// addColumn adds a column to a table's storage (and, on a cluster, to the local tables
// behind the Distributed one).
func (l Layout) addColumn(t *Table, def string) []string {
	stmt := func(name string) string {
		return fmt.Sprintf("ALTER TABLE %s%s ADD COLUMN IF NOT EXISTS %s", l.Q(name), l.onCluster(), def)
	}
	if l.Cluster == "" {
		return []string{stmt(t.Storage())}
	}
	return []string{stmt(t.Storage() + "_local"), stmt(t.Storage())}
}

// views are recreated on every migrate: they hold no data, and recreating them keeps them
// equal to the code's definitions.
func (l Layout) views() []string {
	var out []string
	for _, t := range Bookkeeping {
		out = append(out, l.currentView(t))
	}
	for _, t := range Canonical {
		if t != WorkItems {
			out = append(out, l.currentView(t))
		}
	}
	// work_items reads the project_members view, so it comes last.
	return append(out, l.currentView(WorkItems))
}

func (l Layout) createMigrationsTable() []string {
	t := &Table{Name: "schema_migrations", Key: []string{"tenant", "id"}, Columns: []Column{
		{"tenant", tLC, "Always `*`: the schema is shared by all tenants."},
		{"id", "UInt32", "Migration number."},
		{"description", tStr, "What it did."},
		{"applied_at", "DateTime64(3, 'UTC')", "When."},
		{"version", "UInt64", ""},
		{"is_deleted", "UInt8", ""},
	}}
	return l.createStorage(t)
}

// Migrate brings the warehouse schema up to date and returns the migrations it applied.
func (w *Warehouse) Migrate(ctx context.Context) ([]uint32, error) {
	stmts := append([]string{w.layout.createDatabase()}, w.layout.createMigrationsTable()...)
	for _, s := range stmts {
		if err := w.b.Exec(ctx, s); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	var applied []struct {
		ID uint32 `json:"id"`
	}
	if err := w.QueryInto(ctx, fmt.Sprintf("SELECT DISTINCT id FROM %s", w.layout.Q("schema_migrations_versions")), &applied); err != nil {
		return nil, fmt.Errorf("migrate: reading applied migrations: %w", err)
	}
	done := map[uint32]bool{}
	for _, a := range applied {
		done[a.ID] = true
	}
	var ran []uint32
	for _, m := range Migrations {
		if done[m.ID] {
			continue
		}
		for _, s := range m.Statements(w.layout) {
			if err := w.b.Exec(ctx, s); err != nil {
				return ran, fmt.Errorf("migration %d (%s): %w", m.ID, m.Description, err)
			}
		}
		now := time.Now().UTC()
		row := Row{"*", m.ID, m.Description, now, uint64(now.UnixNano()), uint8(0)}
		cols := []Column{{"tenant", tLC, ""}, {"id", "UInt32", ""}, {"description", tStr, ""}, {"applied_at", "DateTime64(3, 'UTC')", ""}, {"version", "UInt64", ""}, {"is_deleted", "UInt8", ""}}
		if err := w.b.Insert(ctx, w.layout.Q("schema_migrations_versions"), cols, []Row{row}); err != nil {
			return ran, fmt.Errorf("migration %d: recording it: %w", m.ID, err)
		}
		ran = append(ran, m.ID)
	}
	for _, s := range append(w.layout.views(), w.layout.createSnapshots()...) {
		if err := w.b.Exec(ctx, s); err != nil {
			return ran, fmt.Errorf("migrate: views: %w", err)
		}
	}
	// A migration may change a snapshotted table (4 drops transitions_current to add a
	// column): rebuild the snapshots now, so analysts do not read an empty one until the
	// next sync.
	if len(ran) > 0 {
		if err := w.RefreshSnapshots(ctx); err != nil {
			return ran, fmt.Errorf("migrate: %w", err)
		}
	}
	return ran, nil
}
