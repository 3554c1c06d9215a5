package smartsheet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/tabular"
)

// SheetPayload is the raw record of the sheets stream: one per synced sheet.
type SheetPayload struct {
	ID         int64        `json:"id"`
	Name       string       `json:"name"`
	Permalink  string       `json:"permalink,omitempty"`
	Version    int64        `json:"version"`
	ModifiedAt string       `json:"modified_at,omitempty"`
	Entity     string       `json:"entity"`
	Key        string       `json:"key,omitempty"`
	Project    string       `json:"project,omitempty"`
	Columns    []ColumnInfo `json:"columns"`
	// Members are the project_members rows the sheet stands for: a plan sheet is a
	// member of its project; a register lists the scopes its rows name.
	Members []Member `json:"members"`
}

// ColumnInfo describes a column.
type ColumnInfo struct {
	ID               int64    `json:"id"`
	Title            string   `json:"title"`
	Type             string   `json:"type"`
	SystemColumnType string   `json:"system_column_type,omitempty"`
	Primary          bool     `json:"primary,omitempty"`
	Options          []string `json:"options,omitempty"`
}

// Member is one project_members row.
type Member struct {
	ProjectID string `json:"project_id"`
	Kind      string `json:"kind"`
	Ref       string `json:"ref"`
}

// Register columns that name a project's member scopes, by member kind.
var memberColumns = map[string][]string{
	"smartsheet_sheet": {"Smartsheet", "Smartsheet ID", "Sheet ID", "Plan Sheet", "Plan Sheet ID", "Plan"},
	"jira_project":     {"Jira Project", "Jira Key", "Jira"},
	"github_repo":      {"GitHub Repo", "GitHub Repository", "Repository", "Repo"},
}

type sheetsCursor struct {
	Versions map[string]int64 `json:"versions"`
}

func (r *run) syncSheets(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	cur := sheetsCursor{Versions: map[string]int64{}}
	if len(req.Cursor) > 0 && !req.Full {
		if json.Unmarshal(req.Cursor, &cur) != nil || cur.Versions == nil {
			cur = sheetsCursor{Versions: map[string]int64{}}
		}
	}
	list, err := r.sheets(ctx)
	if err != nil {
		return err
	}
	var records []connectors.Record
	var errs []error
	for _, sc := range list {
		key := strconv.FormatInt(sc.ID, 10)
		rec, err := r.sheetRecord(ctx, sc, cur.Versions[key])
		if err != nil {
			if fatal(ctx, err) {
				return err
			}
			r.log.Error("smartsheet: sheet record not synced", "sheet", sc.ID, "error", err)
			errs = append(errs, err)
			continue
		}
		if rec != nil {
			records = append(records, *rec)
			cur.Versions[key] = int64(rec.Version)
		}
	}
	gone, err := r.unlistedSheetRecords(ctx, list, &cur)
	if err != nil {
		return err
	}
	records = append(records, gone...)
	if len(records) > 0 {
		b, _ := json.Marshal(cur)
		if err := emit(ctx, connectors.Page{Records: records, Cursor: b}); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// unlistedSheetRecords tombstones the records of sheets no longer synced whose rows the
// rows stream (run just before) has dropped; a sheet whose rows were kept (it could not be
// read) keeps its record too.
func (r *run) unlistedSheetRecords(ctx context.Context, list []SheetConfig, cur *sheetsCursor) ([]connectors.Record, error) {
	if r.env.Stored == nil {
		return nil, nil
	}
	listed := map[string]bool{}
	for _, sc := range list {
		listed[strconv.FormatInt(sc.ID, 10)] = true
	}
	sheets, err := r.env.Stored.NativeIDs(ctx, StreamSheets)
	if err != nil {
		return nil, fmt.Errorf("source %s: read stored sheets: %w", r.src.Name, err)
	}
	rows, err := r.allStored(ctx)
	if err != nil {
		return nil, err
	}
	hasRows := map[string]bool{}
	for id := range rows {
		sheet, _, _ := strings.Cut(id, "/")
		hasRows[sheet] = true
	}
	var out []connectors.Record
	for id, v := range sheets {
		if !listed[id] && !hasRows[id] {
			out = append(out, connectors.Record{Stream: StreamSheets, NativeID: id, Version: v, Deleted: true})
			delete(cur.Versions, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NativeID < out[j].NativeID })
	return out, nil
}

// sheetRecord builds a sheet's record, or nil when it is unchanged since seen. It reuses
// the rows stream's read; otherwise one small request (ifVersionAfter, one row).
func (r *run) sheetRecord(ctx context.Context, sc SheetConfig, seen int64) (*connectors.Record, error) {
	m := r.recall(sc.ID)
	if m != nil && m.version == seen && seen > 0 {
		return nil, nil
	}
	if m == nil || m.sheet == nil {
		sh, err := r.client.Sheet(ctx, sc.ID, SheetQuery{IfVersionAfter: seen, PageSize: 1, Page: 1, Lean: true})
		if err != nil {
			return nil, err
		}
		if len(sh.Columns) == 0 {
			return nil, nil
		}
		view, err := newSheetView(r.src.Name, sc, sh)
		if err != nil {
			return nil, err
		}
		m = &sheetMeta{view: view, version: sh.Version, sheet: sh}
	}
	v, sh := m.view, m.sheet
	p := SheetPayload{ID: sh.ID, Name: sh.Name, Permalink: sh.Permalink, Version: sh.Version, ModifiedAt: isoTime(sh.ModifiedAt), Entity: sc.Entity, Key: sc.Key, Project: sc.Project, Members: []Member{}}
	for _, c := range v.cols {
		p.Columns = append(p.Columns, ColumnInfo{ID: c.ID, Title: c.Title, Type: c.Type, SystemColumnType: c.SystemColumnType, Primary: c.Primary, Options: c.Options})
	}
	if sc.Entity == entityProjects {
		members, err := r.registerMembers(ctx, sc.ID)
		if err != nil {
			return nil, err
		}
		p.Members = members
	} else {
		project := sc.Project
		if project == "" {
			project = r.src.Name + ":" + strconv.FormatInt(sc.ID, 10) // the plan is its own project
		}
		p.Members = append(p.Members, Member{ProjectID: project, Kind: "smartsheet_sheet", Ref: strconv.FormatInt(sc.ID, 10)})
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return &connectors.Record{Stream: StreamSheets, NativeID: strconv.FormatInt(sc.ID, 10), Version: uint64(sh.Version), ChangedAt: sh.ModifiedAt, Payload: body}, nil
}

// registerMembers reads a register's stored rows (written by the rows stream just
// before) and lists the scopes each project row names.
func (r *run) registerMembers(ctx context.Context, sheetID int64) ([]Member, error) {
	stored, err := r.storedIDs(ctx, sheetID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(stored))
	for id := range stored {
		ids = append(ids, id)
	}
	rows, err := r.storedPayloads(ctx, ids)
	if err != nil {
		return nil, err
	}
	set := map[Member]bool{}
	for _, p := range rows {
		if strings.TrimSpace(p.Key) == "" {
			continue
		}
		for title, val := range p.Cells {
			kind := memberKind(title)
			if kind == "" {
				continue
			}
			for _, ref := range memberRefs(kind, normalizeStored(val)) {
				set[Member{ProjectID: p.Key, Kind: kind, Ref: ref}] = true
			}
		}
	}
	out := make([]Member, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.ProjectID != b.ProjectID {
			return a.ProjectID < b.ProjectID
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Ref < b.Ref
	})
	return out, nil
}

func memberKind(title string) string {
	n := tabular.Normalize(title)
	for kind, titles := range memberColumns {
		for _, t := range titles {
			if tabular.Normalize(t) == n {
				return kind
			}
		}
	}
	return ""
}

// memberRefs splits a register cell into scope references.
func memberRefs(kind string, v any) []string {
	var parts []string
	switch x := v.(type) {
	case float64:
		parts = []string{strconv.FormatFloat(x, 'f', -1, 64)}
	case []string:
		parts = x
	default:
		parts = strings.FieldsFunc(valueText(v), func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == ' ' })
	}
	var out []string
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if kind == "smartsheet_sheet" {
			if _, err := strconv.ParseInt(p, 10, 64); err != nil {
				continue // only sheet ids identify a sheet
			}
		}
		out = append(out, p)
	}
	return out
}
