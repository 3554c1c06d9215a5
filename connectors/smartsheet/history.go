package smartsheet

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/tabular"
)

// maxHistory bounds the status changes a row carries (oldest dropped).
const maxHistory = 200

// rowRecords builds the records of the rows to emit, with their status history: carried
// over from the stored payload plus the change found by comparing with it, or read from
// cell history when the sheet asks for exact history of its status column.
func (r *run) rowRecords(ctx context.Context, rd *sheetRead, rows []Row) ([]connectors.Record, error) {
	v := rd.view
	ids := make([]string, 0, len(rows))
	for _, row := range rows {
		if k, ok := rd.keys[row.ID]; ok {
			ids = append(ids, nativeID(v.id, k))
		}
	}
	old, err := r.storedPayloads(ctx, ids)
	if err != nil {
		return nil, err
	}
	exact := v.status != nil && r.exactHistory(v)
	out := make([]connectors.Record, 0, len(rows))
	done := map[int64]bool{}
	for i := range rows {
		row := &rows[i]
		k, ok := rd.keys[row.ID]
		if !ok || done[row.ID] {
			continue
		}
		done[row.ID] = true
		id := nativeID(v.id, k)
		p := v.payload(row, rd.shapes, rd.keys)
		for _, pr := range p.Problems {
			r.problem(v, row.RowNumber, row.ID, pr.Column, pr.Kind, pr.Detail)
		}
		ver := rd.versions[row.ID]
		if o := old[id]; exact && o != nil && o.ModifiedAt == p.ModifiedAt {
			p.StatusHistory = o.StatusHistory // re-read in the cursor overlap: history unchanged
		} else if exact {
			h, err := r.cellHistory(ctx, v, row)
			if err != nil {
				return nil, err
			}
			p.StatusHistory = h
		} else if v.status != nil {
			p.StatusHistory = diffStatus(old[id], p, v.status.Title, ver)
		}
		body, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("sheet %s row %d: encode payload: %w", v.ref(), row.RowNumber, err)
		}
		out = append(out, connectors.Record{Stream: StreamRows, NativeID: id, Version: uint64(ver), ChangedAt: row.ModifiedAt, Payload: body})
	}
	return out, nil
}

// diffStatus carries the stored history forward and adds the change since it, at the
// row's modifiedAt. The transition id is the sheet version it was seen at, so a re-read
// of the same version yields the same id.
func diffStatus(old, now *RowPayload, column string, version int64) []StatusChange {
	if old == nil {
		return nil // first sight: the past is unknown
	}
	hist := old.StatusHistory
	before, hadCol := old.Cells[column]
	after, hasCol := now.Cells[column]
	from, to := valueText(normalizeStored(before)), valueText(after)
	if hadCol && hasCol && from != to {
		id := "v" + strconv.FormatInt(version, 10)
		if len(hist) == 0 || hist[len(hist)-1].ID != id {
			by := ""
			if now.ModifiedBy != nil {
				by = now.ModifiedBy.Email
			}
			hist = append(hist, StatusChange{ID: id, Column: column, From: from, To: to, At: now.ModifiedAt, By: by})
		}
	}
	if len(hist) > maxHistory {
		hist = hist[len(hist)-maxHistory:]
	}
	return hist
}

// normalizeStored turns a stored cell (decoded from JSON) into the shapes valueText knows.
func normalizeStored(v any) any {
	if m, ok := v.(map[string]any); ok {
		c := Contact{}
		c.Email, _ = m["email"].(string)
		c.Name, _ = m["name"].(string)
		return c
	}
	if l, ok := v.([]any); ok {
		parts := make([]string, 0, len(l))
		for _, x := range l {
			parts = append(parts, valueText(normalizeStored(x)))
		}
		return parts
	}
	return v
}

// exactHistory reports whether the sheet's status column's exact history is asked for,
// by the sheet's config (history) or by the mapping (exact_history).
func (r *run) exactHistory(v *sheetView) bool {
	asked := v.cfg.History
	if r.env != nil && r.env.Mapping != nil {
		asked = append(slices.Clip(asked), r.env.Mapping.ExactHistory(StreamRows)...)
	}
	for _, c := range asked {
		if tabular.Normalize(c) == tabular.Normalize(v.status.Title) {
			return true
		}
	}
	return false
}

// cellHistory reads the status cell's history (ten requests' worth of quota).
func (r *run) cellHistory(ctx context.Context, v *sheetView, row *Row) ([]StatusChange, error) {
	cells, err := r.client.CellHistory(ctx, v.id, row.ID, v.status.ID)
	if err != nil {
		return nil, err
	}
	var out []StatusChange
	prev := ""
	for i := len(cells) - 1; i >= 0; i-- { // the API answers newest first
		val, _ := decodeCell(v.status, &cells[i])
		to := valueText(val)
		if to == prev {
			continue
		}
		by := ""
		if cells[i].ModifiedBy != nil {
			by = cells[i].ModifiedBy.Email
		}
		at := isoTime(cells[i].ModifiedAt)
		out = append(out, StatusChange{ID: "h" + strconv.Itoa(len(out)+1), Column: v.status.Title, From: prev, To: to, At: at, By: by})
		prev = to
	}
	if len(out) > maxHistory {
		out = out[len(out)-maxHistory:]
	}
	return out, nil
}
