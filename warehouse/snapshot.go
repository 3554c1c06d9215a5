package warehouse

import (
	"context"
	"fmt"
)

// Snapshots are plain MergeTree copies of the current state of the busiest entities
// (work_items, transitions), rebuilt from their live views (<name>_live: FINAL over the
// versions) after each sync run that changed something, and swapped in atomically with
// EXCHANGE TABLES. The analysts' views of those names read the snapshots: a query never
// pays for FINAL over millions of versions, and it always sees the state as of a completed
// sync run — never a run half way through.
var Snapshots = []*Table{WorkItems, Transitions}

// snapshotOrder is each snapshot's sorting key, chosen for the API's filters.
var snapshotOrder = map[*Table]string{
	WorkItems:   "tenant, project_id, item_id",
	Transitions: "tenant, item_id, at",
}

// Snapshot returns the name to read t's current state from quickly: its snapshot table,
// or the view itself on a cluster (where snapshots are not kept).
func (l Layout) Snapshot(t *Table) string {
	if l.Cluster != "" || !isSnapshot(t) {
		return l.Q(t.Name)
	}
	return l.Q(t.Name + "_current")
}

func isSnapshot(t *Table) bool {
	for _, s := range Snapshots {
		if s == t {
			return true
		}
	}
	return false
}

// liveName is the view that reads t's versions with FINAL: the analysts' name itself,
// except for snapshot tables outside a cluster, whose analysts' view reads the snapshot.
func (l Layout) liveName(t *Table) string {
	if l.Cluster == "" && isSnapshot(t) {
		return t.Name + "_live"
	}
	return t.Name
}

func (l Layout) createSnapshots() []string {
	if l.Cluster != "" {
		return nil
	}
	var out []string
	for _, t := range Snapshots {
		out = append(out,
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ENGINE = MergeTree ORDER BY (%s) AS SELECT * FROM %s WHERE 0",
				l.Snapshot(t), snapshotOrder[t], l.Q(l.liveName(t))),
			fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM %s", l.Q(t.Name), l.Snapshot(t)))
	}
	return out
}

// snapshotInsert keeps a rebuild's memory flat: by default an INSERT … SELECT gathers up
// to a million rows (256 MB) into one block and sorts it whole — all the transitions of a
// 100k-issue Jira site, at the end of its first sync. Blocks of 128k rows make a few
// parts instead of one.
const snapshotInsert = "min_insert_block_size_rows = 131072, min_insert_block_size_bytes = 33554432"

// RefreshSnapshots rebuilds the snapshots from the views and swaps them in.
func (w *Warehouse) RefreshSnapshots(ctx context.Context) error {
	if w.layout.Cluster != "" {
		return nil
	}
	w.snapMu.Lock()
	defer w.snapMu.Unlock()
	for _, t := range Snapshots {
		cur, next := w.layout.Snapshot(t), w.layout.Q(t.Name+"_current_next")
		stmts := []string{
			"DROP TABLE IF EXISTS " + next,
			fmt.Sprintf("CREATE TABLE %s ENGINE = MergeTree ORDER BY (%s) AS SELECT * FROM %s SETTINGS %s", next, snapshotOrder[t], w.layout.Q(w.layout.liveName(t)), snapshotInsert),
			fmt.Sprintf("EXCHANGE TABLES %s AND %s", next, cur),
			"DROP TABLE IF EXISTS " + next,
		}
		for _, s := range stmts {
			if err := w.b.Exec(ctx, s); err != nil {
				return fmt.Errorf("refreshing the %s snapshot: %w", t.Name, err)
			}
		}
	}
	return nil
}
