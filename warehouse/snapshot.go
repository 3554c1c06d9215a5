package warehouse

import (
	"context"
	"fmt"
)

// Snapshots are plain MergeTree copies of the current state of the views the dashboard
// and API read most (work_items, transitions), rebuilt after each sync and swapped in
// atomically with EXCHANGE TABLES, so a request never pays for FINAL over millions of
// versions. The data only changes when a sync commits, so a copy taken after each run is
// exactly as fresh as the views for every reader that shows "as of the last sync".
var Snapshots = []*Table{WorkItems, Transitions}

// snapshotOrder is each snapshot's sorting key, chosen for the API's filters.
var snapshotOrder = map[*Table]string{
	WorkItems:   "tenant, project_id, item_id",
	Transitions: "tenant, item_id, at",
}

// Snapshot returns the name to read t's current state from quickly: its snapshot table,
// or the view itself on a cluster (where snapshots are not kept).
func (l Layout) Snapshot(t *Table) string {
	if l.Cluster != "" {
		return l.Q(t.Name)
	}
	return l.Q(t.Name + "_current")
}

func (l Layout) createSnapshots() []string {
	if l.Cluster != "" {
		return nil
	}
	var out []string
	for _, t := range Snapshots {
		out = append(out, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ENGINE = MergeTree ORDER BY (%s) AS SELECT * FROM %s WHERE 0",
			l.Snapshot(t), snapshotOrder[t], l.Q(t.Name)))
	}
	return out
}

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
			fmt.Sprintf("CREATE TABLE %s ENGINE = MergeTree ORDER BY (%s) AS SELECT * FROM %s", next, snapshotOrder[t], w.layout.Q(t.Name)),
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
