package smartsheet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pmohub/pmohub/connectors"
)

// dropUnlisted tombstones the stored rows of sheets no longer synced: removed from
// `sheets:` (or their workspace removed from `workspaces:`), or gone from a configured
// workspace. A sheet gone from a workspace is read first (one request): if it cannot be
// read (deleted, unshared, 404/403) that is an error and its rows stay; an API error is
// never an empty sheet. Re-adding a dropped sheet reads it in full.
func (r *run) dropUnlisted(ctx context.Context, list []SheetConfig, cur *RowsCursor, emit connectors.Emit) error {
	listed := map[string]bool{}
	for _, sc := range list {
		listed[strconv.FormatInt(sc.ID, 10)] = true
	}
	stored, err := r.allStored(ctx)
	if err != nil {
		return err
	}
	bySheet := map[string][]string{}
	for id := range stored {
		sheet, _, _ := strings.Cut(id, "/")
		if !listed[sheet] {
			bySheet[sheet] = append(bySheet[sheet], id)
		}
	}
	for sheet := range cur.Sheets {
		if !listed[sheet] && bySheet[sheet] == nil {
			bySheet[sheet] = []string{}
		}
	}
	if len(bySheet) == 0 {
		return nil
	}
	var records []connectors.Record
	var errs []error
	for _, sheet := range slices.Sorted(maps.Keys(bySheet)) {
		if st := cur.Sheets[sheet]; st != nil && st.Workspace != "" && slices.Contains(r.cfg.Workspaces, st.Workspace) {
			id, _ := strconv.ParseInt(sheet, 10, 64)
			if _, err := r.client.Sheet(ctx, id, SheetQuery{IfVersionAfter: st.Version, PageSize: 1, Page: 1, Lean: true}); err != nil {
				if fatal(ctx, err) {
					return err
				}
				errs = append(errs, fmt.Errorf("sheet %s is no longer in workspace %q and cannot be read; its %d stored rows are kept: %w", sheet, st.Workspace, len(bySheet[sheet]), err))
				continue
			}
		}
		ids := bySheet[sheet]
		sort.Strings(ids)
		for _, id := range ids {
			// The stored version: the sheet is not read, and a tombstone at the same
			// version wins because it is written later.
			records = append(records, connectors.Record{Stream: StreamRows, NativeID: id, Version: stored[id], Deleted: true})
		}
		delete(cur.Sheets, sheet)
		r.log.Info("smartsheet: sheet no longer synced; its rows leave the views", "sheet", sheet, "deleted", len(ids))
	}
	if len(records) > 0 || len(errs) < len(bySheet) {
		if err := emit(ctx, connectors.Page{Records: records, Cursor: cur.clone().encode()}); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}
