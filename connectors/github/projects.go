package github

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

type projectsCursor struct {
	Projects map[string]*projectPos `json:"projects"`
}

type projectPos struct {
	FieldsETag string      `json:"fields_etag,omitempty"`
	Fields     []int64     `json:"fields,omitempty"`
	Pages      []boardPage `json:"pages,omitempty"`
}

// boardPage is one page of a board's item list: its ETag and the items it listed, so
// that items gone from the board are found while unchanged pages answer 304.
type boardPage struct {
	pageState
	Items []string `json:"items"`
}

// projectItem is a project_items payload: the item exactly as the REST API returned it,
// plus the project reference and the field values flattened by name (derived).
type projectItem struct {
	Project string          `json:"project"`
	Item    json.RawMessage `json:"item"`
	Derived projectDerived  `json:"derived"`
}

type projectDerived struct {
	Status    string            `json:"status,omitempty"`
	Iteration string            `json:"iteration,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

type ghProjectItem struct {
	ID        int64     `json:"id"`
	UpdatedAt time.Time `json:"updated_at"`
	Fields    []struct {
		Name     string          `json:"name"`
		DataType string          `json:"data_type"`
		Value    json.RawMessage `json:"value"`
	} `json:"fields"`
}

// syncProjectItems lists each configured Projects (v2) board. The REST list has no
// since: every page is asked conditionally with its stored ETag.
func (r *run) syncProjectItems(ctx context.Context, raw json.RawMessage) error {
	cur := projectsCursor{}
	r.loadCursor(raw, &cur)
	if cur.Projects == nil {
		cur.Projects = map[string]*projectPos{}
	}
	stored, err := r.storedIDs(ctx, StreamProjectItems)
	if err != nil {
		return err
	}
	var errs []error
	for _, pc := range r.c.cfg.Projects {
		pos := cur.Projects[pc.ref()]
		if pos == nil {
			pos = &projectPos{}
		}
		next, err := r.syncProject(ctx, pc, *pos, stored)
		if err != nil {
			errs = append(errs, fmt.Errorf("project %s: %w", pc.ref(), err))
			continue
		}
		cur.Projects[pc.ref()] = next
		if err := r.emit(ctx, connectors.Page{Cursor: mustJSON(cur)}); err != nil {
			return err
		}
	}
	return joinErrs(errs)
}

func (r *run) syncProject(ctx context.Context, pc ProjectConfig, pos projectPos, stored map[string]uint64) (*projectPos, error) {
	base := fmt.Sprintf("%s/projectsV2/%d", pc.owner(), pc.Number)
	next := &projectPos{FieldsETag: pos.FieldsETag, Fields: pos.Fields}
	fp, err := r.cl.get(ctx, base+"/fields?per_page=100", pos.FieldsETag)
	if err != nil {
		return nil, err
	}
	known := pos.Pages
	if !fp.NotModified {
		fields, err := decodeList(fp, "GET /"+base+"/fields", r.c.src.Name)
		if err != nil {
			return nil, err
		}
		next.Fields = nil
		for _, f := range fields {
			var fd struct {
				ID int64 `json:"id"`
			}
			if json.Unmarshal(f, &fd) == nil && fd.ID != 0 {
				next.Fields = append(next.Fields, fd.ID)
			}
		}
		next.FieldsETag = fp.ETag
		known = nil // other fields asked: the pages' ETags no longer apply
	}
	ids := make([]string, len(next.Fields))
	for i, f := range next.Fields {
		ids[i] = strconv.FormatInt(f, 10)
	}
	u := base + "/items?per_page=" + strconv.Itoa(r.c.cfg.PageSize)
	if len(ids) > 0 {
		u += "&fields=" + url.QueryEscape(strings.Join(ids, ","))
	}
	for i := 0; u != ""; i++ {
		etag := ""
		// A page remembered without its items (an older cursor) is read again.
		if i < len(known) && known[i].URL == u && known[i].Items != nil {
			etag = known[i].ETag
		}
		p, err := r.cl.get(ctx, u, etag)
		if err != nil {
			return nil, err
		}
		if p.NotModified {
			next.Pages = append(next.Pages, known[i])
			u = ""
			if i+1 < len(known) {
				u = known[i+1].URL
			}
			continue
		}
		items, err := decodeList(p, "GET /"+base+"/items", r.c.src.Name)
		if err != nil {
			return nil, err
		}
		bp := boardPage{pageState: pageState{URL: u, ETag: p.ETag}, Items: make([]string, 0, len(items))}
		recs := make([]connectors.Record, 0, len(items))
		for _, it := range items {
			var pi ghProjectItem
			if err := decodeItem(it, &pi); err != nil || pi.ID == 0 {
				return nil, fmt.Errorf("source %s: project item without id: %v", r.c.src.Name, err)
			}
			d := projectDerived{Fields: map[string]string{}}
			for _, f := range pi.Fields {
				v := fieldText(f.Value)
				d.Fields[f.Name] = v
				switch {
				case strings.EqualFold(f.Name, pc.statusField()):
					d.Status = v
				case f.DataType == "iteration" && d.Iteration == "":
					d.Iteration = v
				}
			}
			id := strconv.FormatInt(pi.ID, 10)
			bp.Items = append(bp.Items, id)
			recs = append(recs, connectors.Record{Stream: StreamProjectItems, NativeID: id,
				Version: micros(pi.UpdatedAt), ChangedAt: pi.UpdatedAt,
				Payload: mustJSON(projectItem{Project: pc.ref(), Item: it, Derived: d})})
		}
		next.Pages = append(next.Pages, bp)
		if err := r.emit(ctx, connectors.Page{Records: recs}); err != nil {
			return nil, err
		}
		u = p.Next
	}
	return next, r.removeBoardItems(ctx, pc, pos, next, stored)
}

// removeBoardItems tombstones the items the board no longer lists (removed or
// archived): the work items lose their board place on the items stream that follows.
func (r *run) removeBoardItems(ctx context.Context, pc ProjectConfig, pos projectPos, next *projectPos, stored map[string]uint64) error {
	now := map[string]bool{}
	for _, p := range next.Pages {
		for _, id := range p.Items {
			now[id] = true
		}
	}
	before := map[string]bool{}
	for _, p := range pos.Pages {
		for _, id := range p.Items {
			before[id] = true
		}
	}
	if len(pos.Pages) == 0 || pos.Pages[0].Items == nil {
		// No list remembered (first sync, --full, an older cursor): what is stored for
		// this board is what it held.
		if r.req.Env.Stored != nil {
			err := r.req.Env.Stored.Records(ctx, StreamProjectItems, nil, func(s connectors.StoredRecord) error {
				var pi struct {
					Project string `json:"project"`
				}
				if json.Unmarshal(s.Payload, &pi) == nil && pi.Project == pc.ref() {
					before[s.NativeID] = true
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("source %s: read stored project items: %w", r.c.src.Name, err)
			}
		}
	}
	var recs []connectors.Record
	for _, id := range slices.Sorted(maps.Keys(before)) {
		if v, ok := stored[id]; ok && !now[id] {
			recs = append(recs, r.tombstone(StreamProjectItems, id, v))
		}
	}
	if len(recs) == 0 {
		return nil
	}
	r.cl.log.Info("items left the board", "project", pc.ref(), "items", len(recs))
	return r.emit(ctx, connectors.Page{Records: recs})
}

// fieldText renders a project field value: text, number, date, or the name/title of a
// single-select option or iteration ({"raw": …, "html": …} on the REST API).
func fieldText(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n.String()
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) != nil {
		return ""
	}
	for _, k := range []string{"name", "title", "raw", "text"} {
		if x, ok := obj[k]; ok {
			if t := fieldText(x); t != "" {
				return t
			}
		}
	}
	return ""
}
