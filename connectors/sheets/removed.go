package sheets

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/tabular"
)

// dropUnconfigured tombstones the stored rows of spreadsheets no longer in pmohub.yaml:
// removing one from the configuration takes its rows out of the analysts' views. It
// costs no request; re-adding the spreadsheet reads it in full again.
func (r *run) dropUnconfigured(ctx context.Context) error {
	configured := map[string]bool{}
	for _, ss := range r.c.cfg.Spreadsheets {
		configured[ss.ID] = true
	}
	stored, err := r.storedIDs(ctx)
	if err != nil {
		return err
	}
	var recs []connectors.Record
	dropped := map[string]int{}
	for id, v := range stored {
		ssID, _, _ := strings.Cut(id, "/")
		if !configured[ssID] {
			recs = append(recs, connectors.Record{Stream: StreamRows, NativeID: id, Version: v, Deleted: true})
			dropped[ssID]++
		}
	}
	changed := false
	for id := range r.cursor.Spreadsheets {
		if !configured[id] {
			delete(r.cursor.Spreadsheets, id)
			changed = true
		}
	}
	if len(recs) == 0 && !changed {
		return nil
	}
	for id, n := range dropped {
		r.log.Info("sheets: spreadsheet no longer configured; its rows leave the views", "spreadsheet", id, "deleted", n)
	}
	slices.SortFunc(recs, func(a, b connectors.Record) int { return strings.Compare(a.NativeID, b.NativeID) })
	cursor, err := json.Marshal(r.cursor)
	if err != nil {
		return err
	}
	if err := r.emit(ctx, connectors.Page{Records: recs, Cursor: cursor}); err != nil {
		return emitError{err}
	}
	return nil
}

// unconfiguredTabs tombstones the stored rows of a read spreadsheet's tabs that are no
// longer configured (a tab removed from `tabs:`), found by tab id.
func (r *run) unconfiguredTabs(ctx context.Context, ss SpreadsheetConfig, read *spreadsheetRead, snap tabular.Snapshot) ([]connectors.Record, error) {
	keep := map[string]bool{}
	for _, tr := range read.tabs {
		keep[strconv.FormatInt(tr.sheetID, 10)] = true
	}
	stored, err := r.storedIDs(ctx)
	if err != nil {
		return nil, err
	}
	var recs []connectors.Record
	prefix := ss.ID + "/"
	for id, v := range stored {
		rest, ok := strings.CutPrefix(id, prefix)
		if !ok {
			continue
		}
		if gid, _, _ := strings.Cut(rest, "/"); !keep[gid] {
			recs = append(recs, connectors.Record{Stream: StreamRows, NativeID: id, Version: max(snap.Version, v), ChangedAt: snap.ModifiedAt, Deleted: true})
		}
	}
	if len(recs) > 0 {
		slices.SortFunc(recs, func(a, b connectors.Record) int { return strings.Compare(a.NativeID, b.NativeID) })
		r.log.Info("sheets: tab no longer configured; its rows leave the views", "spreadsheet", ss.ID, "deleted", len(recs))
	}
	return recs, nil
}
