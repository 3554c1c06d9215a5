package smartsheet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/tabular"
)

// RowsCursor is the rows stream's cursor: per sheet, the version and time read up to.
type RowsCursor struct {
	Sheets map[string]*sheetState `json:"sheets"`
}

type sheetState struct {
	Version int64     `json:"version"`
	Since   time.Time `json:"since"`
	Columns []colSig  `json:"columns"`
	Shape   string    `json:"shape"`
	Key     string    `json:"key,omitempty"`
	// Workspace is the configured workspace the sheet was found in ("" when listed under
	// sheets:): a sheet gone from a workspace that is still configured is checked before
	// its rows are dropped.
	Workspace string `json:"workspace,omitempty"`
	// Mapping is the signature of the columns the mapping requires: when it changes, an
	// unchanged sheet's stored rows are checked against it (no request).
	Mapping string `json:"mapping,omitempty"`
}

// colSig is what of a column changes the payload: renames and retypes force a full read.
type colSig struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Type  string `json:"type"`
}

func signature(cols []Column) []colSig {
	out := make([]colSig, len(cols))
	for i, c := range cols {
		out[i] = colSig{c.ID, c.Title, c.Type}
	}
	return out
}

func (cur *RowsCursor) clone() *RowsCursor {
	out := &RowsCursor{Sheets: make(map[string]*sheetState, len(cur.Sheets))}
	for k, v := range cur.Sheets {
		out.Sheets[k] = v
	}
	return out
}

func (cur *RowsCursor) encode() json.RawMessage {
	b, _ := json.Marshal(cur)
	return b
}

func (r *run) syncRows(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	cur := &RowsCursor{Sheets: map[string]*sheetState{}}
	if len(req.Cursor) > 0 && !req.Full {
		if err := json.Unmarshal(req.Cursor, cur); err != nil {
			r.log.Warn("smartsheet: unreadable rows cursor, reading every sheet in full", "error", err)
			cur = &RowsCursor{Sheets: map[string]*sheetState{}}
		}
		if cur.Sheets == nil {
			cur.Sheets = map[string]*sheetState{}
		}
	}
	list, err := r.sheets(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, sc := range list {
		if err := r.syncSheet(ctx, sc, cur, emit); err != nil {
			if fatal(ctx, err) {
				return err
			}
			// One missing or unshared sheet must not stop the others; its stored rows stay.
			r.log.Error("smartsheet: sheet not synced; its stored rows are kept", "sheet", sc.ID, "error", err)
			errs = append(errs, err)
		}
	}
	if err := r.dropUnlisted(ctx, list, cur, emit); err != nil {
		if fatal(ctx, err) {
			return err
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// syncSheet brings one sheet up to date and advances cur.
func (r *run) syncSheet(ctx context.Context, sc SheetConfig, cur *RowsCursor, emit connectors.Emit) error {
	key := strconv.FormatInt(sc.ID, 10)
	st := cur.Sheets[key]
	if st != nil && st.Key != sc.Key {
		st = nil // a new key column renames every record: start over
	}
	var probe *Sheet
	full := st == nil
	if st != nil {
		var err error
		probe, err = r.client.Sheet(ctx, sc.ID, SheetQuery{IfVersionAfter: st.Version, RowsModifiedSince: st.Since.Add(-overlap), PageSize: r.cfg.PageSize, Page: 1})
		if err != nil {
			return err
		}
		if len(probe.Columns) == 0 {
			r.remember(sc.ID, &sheetMeta{version: probe.Version})
			if sig := tabular.MappingSignature(r.env.Mapping, StreamRows); sig != st.Mapping {
				return r.recheckMapping(ctx, sc, cur, st, sig, emit)
			}
			return nil // unchanged: one request
		}
		if changes := columnChanges(st.Columns, probe.Columns); len(changes) > 0 {
			for _, ch := range changes {
				r.log.Warn("smartsheet: column changed; re-reading the sheet in full", "sheet", fmt.Sprintf("%q (%d)", probe.Name, sc.ID), "change", ch)
			}
			full = true
		}
	}
	rd, err := r.readSheet(ctx, sc, st, probe, full)
	if err != nil {
		return err
	}
	v := rd.view
	stored, err := r.storedIDs(ctx, sc.ID)
	if err != nil {
		return err
	}
	emitSet := rd.rows
	if !full && st.Shape != rd.shapeHash() {
		extra, err := r.reshaped(ctx, rd, stored)
		if err != nil {
			return err
		}
		emitSet = append(emitSet, extra...)
	}
	records, err := r.rowRecords(ctx, rd, emitSet)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, k := range rd.keys {
		live[nativeID(sc.ID, k)] = true
	}
	var gone []string
	for id := range stored {
		if !live[id] {
			gone = append(gone, id)
		}
	}
	sort.Strings(gone)
	for _, id := range gone {
		records = append(records, connectors.Record{Stream: StreamRows, NativeID: id, Version: uint64(rd.maxVer), Deleted: true})
	}
	since := rd.first.ModifiedAt
	if since.IsZero() {
		for _, row := range rd.rows {
			since = maxTime(since, row.ModifiedAt)
		}
	}
	if st != nil && since.Before(st.Since) {
		since = st.Since
	}
	if err := r.checkMapping(v, records); err != nil {
		return err
	}
	next := &sheetState{Version: rd.first.Version, Since: since, Columns: signature(v.cols), Shape: rd.shapeHash(), Key: sc.Key,
		Workspace: sc.workspace, Mapping: tabular.MappingSignature(r.env.Mapping, StreamRows)}
	if err := r.emitPages(ctx, emit, cur, key, next, records); err != nil {
		return err
	}
	r.remember(sc.ID, &sheetMeta{view: v, version: rd.first.Version, sheet: rd.first})
	r.log.Info("smartsheet: sheet synced", "sheet", v.ref(), "full", full, "rows", len(emitSet), "deleted", len(gone), "version", rd.first.Version)
	return nil
}

// checkMapping fails a sheet that lacks a column the mapping requires, before its rows
// are written (they would map with those fields empty); its stored rows are kept.
func (r *run) checkMapping(v *sheetView, records []connectors.Record) error {
	if r.env.Mapping == nil {
		return nil
	}
	var sample [][]byte
	for _, rec := range records {
		if !rec.Deleted && len(sample) < tabular.MappingCheckRows {
			sample = append(sample, rec.Payload)
		}
	}
	ref := tabular.TableRef{ID: strconv.FormatInt(v.id, 10), Name: v.name}
	if err := tabular.CheckMapping(r.env.Mapping, StreamRows, ref, sample); err != nil {
		return fmt.Errorf("source %s: sheet %w; stored rows are kept", r.src.Name, err)
	}
	return nil
}

// recheckMapping checks an unchanged sheet's stored rows against a mapping whose required
// columns changed, and notes the new signature in the cursor.
func (r *run) recheckMapping(ctx context.Context, sc SheetConfig, cur *RowsCursor, st *sheetState, sig string, emit connectors.Emit) error {
	stored, err := r.storedIDs(ctx, sc.ID)
	if err != nil {
		return err
	}
	ids := slices.Sorted(maps.Keys(stored))
	ids = ids[:min(len(ids), tabular.MappingCheckRows)]
	v := &sheetView{id: sc.ID}
	var sample []connectors.Record
	if r.env.Stored != nil && len(ids) > 0 {
		err := r.env.Stored.Records(ctx, StreamRows, ids, func(sr connectors.StoredRecord) error {
			var p struct {
				Sheet SheetRef `json:"sheet"`
			}
			if json.Unmarshal(sr.Payload, &p) == nil {
				v.name = p.Sheet.Name
			}
			sample = append(sample, connectors.Record{Payload: sr.Payload})
			return nil
		})
		if err != nil {
			return fmt.Errorf("source %s: read stored rows: %w", r.src.Name, err)
		}
	}
	if err := r.checkMapping(v, sample); err != nil {
		return err
	}
	next := *st
	next.Mapping = sig
	return r.emitPages(ctx, emit, cur, strconv.FormatInt(sc.ID, 10), &next, nil)
}

// emitPages hands records to the engine; only the last page advances the sheet's cursor,
// so a crash mid-sheet re-reads it (harmless: same versions for the same data).
func (r *run) emitPages(ctx context.Context, emit connectors.Emit, cur *RowsCursor, key string, next *sheetState, records []connectors.Record) error {
	size := max(r.cfg.PageSize, 1)
	for start := 0; ; start += size {
		end := min(start+size, len(records))
		page := connectors.Page{Records: records[start:end]}
		last := end == len(records)
		if last {
			cur.Sheets[key] = next
		}
		page.Cursor = cur.clone().encode()
		if err := emit(ctx, page); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// columnChanges describes renamed, retyped, added and removed columns.
func columnChanges(old []colSig, now []Column) []string {
	byID := map[int64]colSig{}
	for _, c := range old {
		byID[c.ID] = c
	}
	var out []string
	for _, c := range now {
		o, ok := byID[c.ID]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("column %q (%s) added", c.Title, c.Type))
		case o.Title != c.Title:
			out = append(out, fmt.Sprintf("column %q renamed to %q: mappings naming the old title no longer match", o.Title, c.Title))
		case o.Type != c.Type:
			out = append(out, fmt.Sprintf("column %q retyped from %s to %s", c.Title, o.Type, c.Type))
		}
		delete(byID, c.ID)
	}
	for _, o := range old {
		if _, ok := byID[o.ID]; ok {
			out = append(out, fmt.Sprintf("column %q removed", o.Title))
		}
	}
	return out
}

// storedIDs returns the stored native ids of one sheet's rows. The source's ids are read
// once per run: a sheet's rows are only written after its own reads.
func (r *run) storedIDs(ctx context.Context, sheetID int64) (map[string]uint64, error) {
	all, err := r.allStored(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	prefix := sheetPrefix(sheetID)
	for id, v := range all {
		if strings.HasPrefix(id, prefix) {
			out[id] = v
		}
	}
	return out, nil
}

func (r *run) allStored(ctx context.Context) (map[string]uint64, error) {
	if r.stored != nil {
		return r.stored, nil
	}
	if r.env.Stored == nil {
		r.stored = map[string]uint64{}
		return r.stored, nil
	}
	all, err := r.env.Stored.NativeIDs(ctx, StreamRows)
	if err != nil {
		return nil, fmt.Errorf("source %s: read stored rows: %w", r.src.Name, err)
	}
	r.stored = all
	return all, nil
}

// storedPayloads reads the stored payloads of some records; ids never stored are not
// asked for (a first sync reads nothing).
func (r *run) storedPayloads(ctx context.Context, ids []string) (map[string]*RowPayload, error) {
	out := map[string]*RowPayload{}
	if r.env.Stored == nil || len(ids) == 0 {
		return out, nil
	}
	all, err := r.allStored(ctx)
	if err != nil {
		return nil, err
	}
	want := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, ok := all[id]; ok {
			want = append(want, id)
		}
	}
	err = tabular.StoredRecords(ctx, r.env.Stored, StreamRows, want, func(rec connectors.StoredRecord) error {
		var p RowPayload
		if json.Unmarshal(rec.Payload, &p) == nil {
			out[rec.NativeID] = &p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("source %s: read stored rows: %w", r.src.Name, err)
	}
	return out, nil
}

// reshaped finds rows whose place in the hierarchy (or whose parent's key) changed
// without their modifiedAt moving, and reads them by id.
func (r *run) reshaped(ctx context.Context, rd *sheetRead, stored map[string]uint64) ([]Row, error) {
	var ids []string
	for id := range stored {
		ids = append(ids, id)
	}
	old, err := r.storedPayloads(ctx, ids)
	if err != nil {
		return nil, err
	}
	read := map[int64]bool{}
	for _, row := range rd.rows {
		read[row.ID] = true
	}
	var want []int64
	for _, id := range rd.order {
		k, ok := rd.keys[id]
		if !ok || read[id] {
			continue
		}
		s := rd.shapes[id]
		parent := ""
		if pk := rd.keys[s.Parent]; s.Parent != 0 && pk != "" {
			parent = nativeID(rd.view.id, pk)
		}
		p := old[nativeID(rd.view.id, k)]
		if p == nil || p.ParentNativeID != parent || p.Depth != s.Depth || p.HasChildren != s.HasChildren {
			want = append(want, id)
		}
	}
	var rows []Row
	err = r.fetchRows(ctx, rd.view.id, want, func(p *Sheet) {
		for _, row := range p.Rows {
			rd.versions[row.ID] = p.Version
		}
		rows = append(rows, p.Rows...)
		rd.maxVer = max(rd.maxVer, p.Version)
	})
	return rows, err
}
