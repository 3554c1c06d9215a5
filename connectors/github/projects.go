package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
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
	Pages      []pageState `json:"pages,omitempty"`
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
	var errs []error
	for _, pc := range r.c.cfg.Projects {
		pos := cur.Projects[pc.ref()]
		if pos == nil {
			pos = &projectPos{}
		}
		next, err := r.syncProject(ctx, pc, *pos)
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

func (r *run) syncProject(ctx context.Context, pc ProjectConfig, pos projectPos) (*projectPos, error) {
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
		if i < len(known) && known[i].URL == u {
			etag = known[i].ETag
		}
		p, err := r.cl.get(ctx, u, etag)
		if err != nil {
			return nil, err
		}
		next.Pages = append(next.Pages, pageState{URL: u, ETag: p.ETag})
		if p.NotModified {
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
				case strings.EqualFold(f.Name, "Status"):
					d.Status = v
				case f.DataType == "iteration" && d.Iteration == "":
					d.Iteration = v
				}
			}
			recs = append(recs, connectors.Record{Stream: StreamProjectItems, NativeID: strconv.FormatInt(pi.ID, 10),
				Version: micros(pi.UpdatedAt), ChangedAt: pi.UpdatedAt,
				Payload: mustJSON(projectItem{Project: pc.ref(), Item: it, Derived: d})})
		}
		if err := r.emit(ctx, connectors.Page{Records: recs}); err != nil {
			return nil, err
		}
		u = p.Next
	}
	return next, nil
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
