package metrics

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/pmohub/pmohub/warehouse"
)

// Reopened items are the one flag that needs transitions: an item that ever left done.
// Finding them reads the item_id of every matching transition, which costs tens of
// milliseconds per request once many items were reopened. The snapshots only change when
// a sync run swaps new ones in (each swap brings new tables, with new UUIDs), so the
// reader keeps the reopened items per snapshot pair and asks the engine only for the
// tables' identity on each request. Without snapshots (a cluster), the SQL computes the
// flag every time.

// reopenedCache holds the reopened items of one pair of snapshots.
type reopenedCache struct {
	mu      sync.Mutex // held while rebuilding: concurrent requests wait for one build
	version string
	items   map[string]string // item_id → project_id
}

// reopened returns the tenant's reopened items (item_id → project_id), or nil when the
// SQL computes the flag itself (no snapshots).
func (r *Reader) reopened(ctx context.Context) (map[string]string, error) {
	if !r.b.reopenedInGo {
		return nil, nil
	}
	version, err := r.snapshotVersion(ctx)
	if err != nil {
		// without the snapshots' identity (say a user who may not read system.tables)
		// the flag is still right, only computed on every request
		version = ""
	}
	c := &r.reopen
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items != nil && version != "" && c.version == version {
		return c.items, nil
	}
	var rows []struct {
		ItemID    string `json:"item_id"`
		ProjectID string `json:"project_id"`
	}
	f := r.filter("", "")
	q := fmt.Sprintf("SELECT item_id, project_id FROM %s WHERE %s AND %s AND %s",
		r.b.workItems, f.items(), workFilter, r.b.reopenedCond(f))
	if err := r.query(ctx, q, &rows); err != nil {
		return nil, fmt.Errorf("reopened items: %w", err)
	}
	items := make(map[string]string, len(rows))
	for _, row := range rows {
		items[row.ItemID] = row.ProjectID
	}
	c.version, c.items = version, items
	return items, nil
}

// snapshotVersion identifies the snapshots in place: their tables' UUIDs ("" when the
// database has none).
func (r *Reader) snapshotVersion(ctx context.Context) (string, error) {
	l := r.wh.Layout()
	var rows []struct {
		Version string `json:"version"`
	}
	q := fmt.Sprintf(`SELECT arrayStringConcat(arraySort(groupArray(concat(name, '=', toString(uuid)))), ',') AS version
FROM system.tables WHERE database = %s AND name IN (%s, %s)`, litOf(l.Database),
		litOf(warehouse.WorkItems.Name+"_current"), litOf(warehouse.Transitions.Name+"_current"))
	if err := r.query(ctx, q, &rows); err != nil {
		return "", fmt.Errorf("snapshot version: %w", err)
	}
	if len(rows) != 1 || strings.Count(rows[0].Version, "=") != 2 {
		return "", fmt.Errorf("snapshot version: the snapshots of %s are missing", l.Database)
	}
	if strings.Contains(rows[0].Version, "=00000000-0000-0000-0000-000000000000") {
		return "", nil // a database without table UUIDs: no identity, so no caching
	}
	return rows[0].Version, nil
}

// markReopened sets each item's reopened flag from the cached set (nil: the SQL did).
func markReopened(items []Item, reopened map[string]string) {
	if reopened == nil {
		return
	}
	for i := range items {
		if _, ok := reopened[items[i].ID]; ok {
			items[i].Reopened = 1
		}
	}
}
