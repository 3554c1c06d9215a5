package smartsheet

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"
)

// sheetRead is what one sync learnt about a changed sheet.
type sheetRead struct {
	view     *sheetView
	full     bool
	first    *Sheet           // the first page: version and modifiedAt at the start of the read
	rows     []Row            // rows to emit, display order
	versions map[int64]int64  // sheet version each row was read at
	shapes   map[int64]shape  // every row's place (full read or id sweep)
	keys     map[int64]string // every row's key (full read or id sweep)
	order    []int64          // every row id, display order
	maxVer   int64
}

// overlap re-reads rows modified just before the cursor: timestamps have one-second
// precision, so a write in the same second as the last read must not be missed.
const overlap = 5 * time.Second

// prefetch is how many pages are fetched ahead while earlier ones are processed.
const prefetch = 3

// readPages reads every page of a sheet query in order, starting from an already fetched
// first page. Once the first page tells the row count, later pages are fetched a few at a
// time ahead of processing.
func (r *run) readPages(ctx context.Context, id int64, q SheetQuery, first *Sheet, fn func(*Sheet)) error {
	if first == nil {
		q.Page = 1
		var err error
		if first, err = r.client.Sheet(ctx, id, q); err != nil {
			return err
		}
	}
	fn(first)
	if q.PageSize <= 0 || len(first.Rows) == 0 {
		return nil
	}
	pages := (first.TotalRowCount + q.PageSize - 1) / q.PageSize
	if pages <= 1 {
		return nil
	}
	type result struct {
		sheet *Sheet
		err   error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]chan result, pages+1)
	for n := 2; n <= pages; n++ {
		results[n] = make(chan result, 1)
	}
	slots := make(chan struct{}, prefetch)
	go func() {
		for n := 2; n <= pages; n++ {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func(n int) {
				pq := q
				pq.Page = n
				sh, err := r.client.Sheet(ctx, id, pq)
				results[n] <- result{sh, err}
			}(n)
		}
	}()
	for n := 2; n <= pages; n++ {
		var res result
		select {
		case res = <-results[n]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-slots
		if res.err != nil {
			return res.err
		}
		fn(res.sheet)
	}
	return nil
}

// readSheet reads a changed sheet: every row when full, else the rows modified since the
// cursor plus an id sweep of the key columns for deletions and hierarchy.
func (r *run) readSheet(ctx context.Context, sc SheetConfig, st *sheetState, first *Sheet, full bool) (*sheetRead, error) {
	rd := &sheetRead{full: full, versions: map[int64]int64{}}
	q := SheetQuery{PageSize: r.cfg.PageSize}
	if !full {
		q.RowsModifiedSince = st.Since.Add(-overlap)
	} else {
		first = nil // a probe page was filtered; read from the top
	}
	var cols []Column
	err := r.readPages(ctx, sc.ID, q, first, func(p *Sheet) {
		if rd.first == nil {
			rd.first = p
			cols = p.Columns
		}
		for _, row := range p.Rows {
			rd.versions[row.ID] = p.Version
		}
		rd.rows = append(rd.rows, p.Rows...)
		rd.maxVer = max(rd.maxVer, p.Version)
	})
	if err != nil {
		return nil, err
	}
	first = rd.first
	first.Columns = cols
	view, err := newSheetView(r.src.Name, sc, first)
	if err != nil {
		return nil, err
	}
	rd.view = view
	skeleton := rd.rows
	if !full {
		// The id sweep: only the primary (and key) column, every row, to see deletions,
		// indents and outdents that do not touch modifiedAt.
		colIDs := []int64{view.primary.ID}
		if view.key != nil && view.key.ID != view.primary.ID {
			colIDs = append(colIDs, view.key.ID)
		}
		skeleton = nil
		sq := SheetQuery{PageSize: sweepPageSize, ColumnIDs: colIDs, Lean: true}
		err := r.readPages(ctx, sc.ID, sq, nil, func(p *Sheet) {
			skeleton = append(skeleton, p.Rows...)
			rd.maxVer = max(rd.maxVer, p.Version)
		})
		if err != nil {
			return nil, err
		}
	}
	rd.shapes = hierarchy(skeleton)
	rd.keys = make(map[int64]string, len(skeleton))
	seen := map[string]int{}
	for i := range skeleton {
		row := &skeleton[i]
		rd.order = append(rd.order, row.ID)
		k := view.rowKey(row)
		switch prev, dup := seen[k]; {
		case k == "":
			r.problem(view, row.RowNumber, row.ID, sc.Key, "empty_key", "row skipped: its key cell is empty")
			continue
		case dup:
			r.problem(view, row.RowNumber, row.ID, sc.Key, "duplicate_key", fmt.Sprintf("row skipped: row %d has the same key %q", prev, k))
			continue
		}
		seen[k] = row.RowNumber
		rd.keys[row.ID] = k
	}
	return rd, nil
}

// sweepPageSize is rows per id-sweep request: those rows carry one or two cells.
const sweepPageSize = 5000

// shapeHash fingerprints the hierarchy and keys, so an unchanged plan needs no compare.
func (rd *sheetRead) shapeHash() string {
	h := fnv.New64a()
	for _, id := range rd.order {
		s := rd.shapes[id]
		fmt.Fprintf(h, "%d|%d|%d|%t|%s;", id, s.Parent, s.Depth, s.HasChildren, rd.keys[id])
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// fetchRows reads rows by id (re-parented rows whose cells did not change).
func (r *run) fetchRows(ctx context.Context, id int64, ids []int64, fn func(*Sheet)) error {
	const batch = 100 // keeps the query string well under URL limits
	for len(ids) > 0 {
		n := min(batch, len(ids))
		p, err := r.client.Sheet(ctx, id, SheetQuery{RowIDs: ids[:n]})
		if err != nil {
			return err
		}
		fn(p)
		ids = ids[n:]
	}
	return nil
}
