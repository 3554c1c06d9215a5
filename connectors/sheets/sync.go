package sheets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/tabular"
)

// cursorState is the stream's cursor: per spreadsheet, the Drive version last written
// completely and each tab's id and header (to explain renamed tabs and columns).
type cursorState struct {
	Spreadsheets map[string]*sheetState `json:"spreadsheets"`
}

type sheetState struct {
	Version  uint64              `json:"version"`
	Modified string              `json:"modified,omitempty"`
	Tabs     map[string]tabState `json:"tabs,omitempty"`
	// Mapping is the signature of the columns the mapping requires: when it changes, an
	// unchanged spreadsheet is read again to check them.
	Mapping string `json:"mapping,omitempty"`
}

type tabState struct {
	// Config fingerprints the tab's configuration: a changed key, range or type re-reads
	// the tab even when the spreadsheet did not change.
	Config  string            `json:"config"`
	SheetID string            `json:"sheet_id"`
	Columns []string          `json:"columns"`
	Types   map[string]string `json:"types,omitempty"`
}

// emitError marks the engine's error: the sync stops at once.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }
func (e emitError) Unwrap() error { return e.err }

// run is one Sync call's state.
type run struct {
	c      *Connector
	req    connectors.SyncRequest
	emit   connectors.Emit
	log    *slog.Logger
	api    *api
	cursor cursorState
	stored map[string]uint64 // native id → version, loaded once
}

// Sync reads every configured spreadsheet. A spreadsheet that fails (deleted, permission
// revoked, a renamed tab or key column) is reported and keeps its stored rows and cursor;
// the others still sync.
func (c *Connector) Sync(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	if req.Stream != StreamRows {
		return fmt.Errorf("source %s: unknown stream %q", c.name, req.Stream)
	}
	if req.Env == nil {
		return fmt.Errorf("source %s: no environment", c.name)
	}
	r := &run{c: c, req: req, emit: emit, log: logger(req.Env).With("source", c.name), cursor: cursorState{Spreadsheets: map[string]*sheetState{}}}
	if len(req.Cursor) > 0 {
		if err := json.Unmarshal(req.Cursor, &r.cursor); err != nil {
			r.log.Warn("sheets: unreadable cursor, reading everything", "err", err)
			r.cursor = cursorState{}
		}
		if r.cursor.Spreadsheets == nil {
			r.cursor.Spreadsheets = map[string]*sheetState{}
		}
	}
	var err error
	if r.api, err = c.newAPI(ctx, req.Env); err != nil {
		return err
	}
	var errs []error
	for _, ss := range c.cfg.Spreadsheets {
		if err := r.syncSpreadsheet(ctx, ss); err != nil {
			var ee emitError
			if errors.As(err, &ee) || ctx.Err() != nil {
				return err
			}
			r.log.Error("sheets: spreadsheet not synced", "spreadsheet", ss.ID, "err", err)
			errs = append(errs, err)
		}
	}
	if err := r.dropUnconfigured(ctx); err != nil {
		return err
	}
	return errors.Join(errs...)
}

func (r *run) syncSpreadsheet(ctx context.Context, ss SpreadsheetConfig) error {
	c := r.c
	prev := r.cursor.Spreadsheets[ss.ID]
	fs, err := c.fileState(ctx, r.api, ss.ID)
	if err != nil {
		return err
	}
	sig := tabular.MappingSignature(r.req.Env.Mapping, StreamRows)
	if prev != nil && prev.Version == fs.Version && !r.req.Full && sameTabs(prev, ss) && prev.Mapping == sig {
		r.log.Debug("sheets: spreadsheet unchanged", "spreadsheet", ss.ID, "version", fs.Version)
		return nil
	}
	read, err := c.readSpreadsheet(ctx, r.api, ss, prev)
	if err != nil {
		return err
	}
	if read.title == "" {
		read.title = fs.Name
	}
	next := &sheetState{Version: fs.Version, Modified: fs.Modified.UTC().Format(time.RFC3339Nano), Tabs: map[string]tabState{}, Mapping: sig}
	snap := tabular.Snapshot{Version: fs.Version, ModifiedAt: fs.Modified}
	records, err := r.unconfiguredTabs(ctx, ss, read, snap)
	if err != nil {
		return err
	}
	var errs []error
	for _, tr := range read.tabs {
		recs, st, err := r.diffTab(ctx, ss, read, tr, prev, snap)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		next.Tabs[tr.cfg.Tab] = st
		records = append(records, recs...)
	}
	// Changes of healthy tabs are written; the cursor only moves when every tab was read,
	// so a broken tab is read again next time.
	var cursor json.RawMessage
	if len(errs) == 0 {
		r.cursor.Spreadsheets[ss.ID] = next
		if cursor, err = json.Marshal(r.cursor); err != nil {
			return err
		}
	}
	size := c.cfg.PageSize
	for start := 0; start < len(records) || (start == 0 && cursor != nil); start += size {
		end := min(start+size, len(records))
		page := connectors.Page{Records: records[start:end]}
		if end == len(records) {
			page.Cursor = cursor
		}
		if err := r.emit(ctx, page); err != nil {
			return emitError{err}
		}
		if end == len(records) {
			break
		}
	}
	return errors.Join(errs...)
}

// sameTabs reports whether the cursor covers exactly the configured tabs (a tab added
// to pmohub.yaml must be read even when the spreadsheet did not change).
func sameTabs(prev *sheetState, ss SpreadsheetConfig) bool {
	if len(prev.Tabs) != len(ss.Tabs) {
		return false
	}
	for _, t := range ss.Tabs {
		if st, ok := prev.Tabs[t.Tab]; !ok || st.Config != t.fingerprint() {
			return false
		}
	}
	return true
}

func (r *run) diffTab(ctx context.Context, ss SpreadsheetConfig, read *spreadsheetRead, tr *tabRead, prev *sheetState, snap tabular.Snapshot) ([]connectors.Record, tabState, error) {
	c := r.c
	sheetID := strconv.FormatInt(tr.sheetID, 10)
	ref := tabular.TableRef{
		ID: ss.ID, Name: read.title, Tab: tr.title, TabID: sheetID,
		URL: "https://docs.google.com/spreadsheets/d/" + ss.ID + "/edit#gid=" + sheetID,
	}
	table, err := toTable(ref, tr)
	if err != nil {
		return nil, tabState{}, &TabError{Source: c.name, Spreadsheet: ss.ID, Tab: tr.cfg.Tab, Detail: err.Error()}
	}
	res, err := tabular.Build(table, tabular.Options{KeyColumn: tr.cfg.Key, Types: tr.cfg.fixedTypes(),
		MappingTypes: tabular.MappingTypes(r.req.Env.Mapping, StreamRows), Location: read.location})
	if err != nil {
		return nil, tabState{}, fmt.Errorf("source %s: %w; stored rows are kept", c.name, err)
	}
	statusCol := tr.cfg.StatusColumn
	if statusCol != "" {
		if _, ok := res.Column(statusCol); !ok {
			return nil, tabState{}, fmt.Errorf("source %s: %w; stored rows are kept", c.name,
				&tabular.SchemaError{Table: ref, Column: statusCol, Detail: "status_column not found in the header (renamed or removed?)"})
		}
	} else if col, ok := res.Column("Status"); ok {
		statusCol = col.Title
	}
	st := tabState{Config: tr.cfg.fingerprint(), SheetID: sheetID, Columns: res.Titles(), Types: map[string]string{}}
	for _, col := range res.Columns {
		if col.Title != "" {
			st.Types[col.Title] = string(col.Type)
		}
	}
	var prevTab *tabState
	if prev != nil {
		if p, ok := prev.Tabs[tr.cfg.Tab]; ok {
			prevTab = &p
		}
	}
	r.reportColumns(ref, prevTab, st)
	r.reportProblems(res.Problems)
	encode := func(row tabular.Row, history []tabular.Change) ([]byte, error) {
		p := tabular.NewPayload(ref, tr.cfg.Key, row)
		p.Entity = tr.cfg.Entity
		p.SetStatusColumn(statusCol)
		p.History = history
		p.URL = ref.URL + "&range=A" + strconv.Itoa(row.Number)
		b, err := p.Encode()
		if err != nil {
			return nil, fmt.Errorf("source %s: encode row %d of %s: %w", c.name, row.Number, ref, err)
		}
		return b, nil
	}
	if m := r.req.Env.Mapping; m != nil {
		// A column the mapping requires that the tab lacks would map as empty fields:
		// fail the tab before anything is written.
		var sample [][]byte
		for _, row := range res.Rows[:min(len(res.Rows), tabular.MappingCheckRows)] {
			b, err := encode(row, nil)
			if err != nil {
				return nil, tabState{}, err
			}
			sample = append(sample, b)
		}
		if err := tabular.CheckMapping(m, StreamRows, ref, sample); err != nil {
			return nil, tabState{}, fmt.Errorf("source %s: %w; stored rows are kept", c.name, err)
		}
	}

	stored, err := r.storedRows(ctx, ss.ID+"/"+sheetID+"/")
	if err != nil {
		return nil, tabState{}, err
	}
	diff := tabular.Compare(stored, res, statusCol, snap)
	var recs []connectors.Record
	if r.req.Full {
		// --full re-writes every row, not only the changed ones.
		changed := map[string]bool{}
		for _, u := range diff.Upserts {
			changed[u.Row.Key] = true
		}
		for _, row := range res.Rows {
			if !changed[row.Key] {
				var h []tabular.Change
				if s, ok := stored[row.Key]; ok {
					h = s.History
				}
				diff.Upserts = append(diff.Upserts, tabular.Upsert{Row: row, History: h})
			}
		}
	}
	for _, u := range diff.Upserts {
		payload, err := encode(u.Row, u.History)
		if err != nil {
			return nil, tabState{}, err
		}
		recs = append(recs, connectors.Record{
			Stream: StreamRows, NativeID: ss.ID + "/" + sheetID + "/" + u.Row.Key,
			Version: snap.Version, ChangedAt: snap.ModifiedAt, Payload: payload,
		})
	}
	for _, s := range diff.Removed {
		recs = append(recs, connectors.Record{Stream: StreamRows, NativeID: s.NativeID, Version: max(snap.Version, s.Version), ChangedAt: snap.ModifiedAt, Deleted: true})
	}
	r.log.Info("sheets: tab read", "spreadsheet", ss.ID, "tab", tr.title, "rows", len(res.Rows),
		"written", len(diff.Upserts), "unchanged", diff.Unchanged, "deleted", len(diff.Removed),
		"status_changes", diff.StatusChanges, "problems", len(res.Problems))
	return recs, st, nil
}

// toTable cuts the header and data rows out of a tab's values.
func toTable(ref tabular.TableRef, tr *tabRead) (tabular.Table, error) {
	hi := tr.headerRow - tr.startRow
	if hi < 0 || hi >= len(tr.values) || len(tr.values[hi]) == 0 {
		return tabular.Table{}, fmt.Errorf("no header in row %d (the tab is empty or header_row is wrong); nothing is deleted", tr.headerRow)
	}
	t := tabular.Table{Ref: ref}
	for j, v := range tr.values[hi] {
		t.Columns = append(t.Columns, tabular.Column{Title: tabular.Text(v), Hint: tr.hints[tr.startCol+j]})
	}
	t.Rows = make([]tabular.RawRow, 0, len(tr.values)-hi-1)
	for i := hi + 1; i < len(tr.values); i++ {
		vals := tr.values[i]
		if len(vals) > len(t.Columns) {
			vals = vals[:len(t.Columns)] // cells right of the header have no title
		}
		t.Rows = append(t.Rows, tabular.RawRow{Number: tr.startRow + i, Values: vals})
	}
	return t, nil
}

// storedIDs returns every stored row id of the source, read once per run: a
// spreadsheet's rows are only written after its own reads.
func (r *run) storedIDs(ctx context.Context) (map[string]uint64, error) {
	if r.stored != nil {
		return r.stored, nil
	}
	if r.req.Env.Stored == nil {
		r.stored = map[string]uint64{}
		return r.stored, nil
	}
	ids, err := r.req.Env.Stored.NativeIDs(ctx, StreamRows)
	if err != nil {
		return nil, fmt.Errorf("source %s: read stored rows: %w", r.c.name, err)
	}
	r.stored = ids
	return ids, nil
}

// storedRows loads the stored rows of one tab (native ids under prefix).
func (r *run) storedRows(ctx context.Context, prefix string) (map[string]tabular.Stored, error) {
	env := r.req.Env
	out := map[string]tabular.Stored{}
	if env.Stored == nil {
		return out, nil
	}
	all, err := r.storedIDs(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id := range all {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	slices.Sort(ids)
	err = tabular.StoredRecords(ctx, env.Stored, StreamRows, ids, func(sr connectors.StoredRecord) error {
		s, err := tabular.ParseStored(sr.NativeID, sr.Version, sr.Payload)
		if err != nil {
			return err
		}
		if s.Key == "" {
			s.Key = strings.TrimPrefix(sr.NativeID, prefix)
		}
		out[s.Key] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("source %s: read stored rows: %w", r.c.name, err)
	}
	return out, nil
}
