package smartsheet

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SheetQuery narrows GET /sheets/{id}.
type SheetQuery struct {
	IfVersionAfter    int64     // > 0: an unchanged sheet answers only {version}
	RowsModifiedSince time.Time // non-zero: only rows modified after it
	ColumnIDs         []int64   // only these columns (the cheap id sweep asks for one)
	RowIDs            []int64   // only these rows
	Page, PageSize    int       // row paging; PageSize 0 reads every row at once
	Lean              bool      // no objectValue, writer info or permalinks (id sweeps)
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// Sheet reads one page of a sheet. Level 2 makes multi-contact and multi-picklist columns
// show their real types; objectValue carries contacts' e-mails, predecessors and durations.
func (c *Client) Sheet(ctx context.Context, id int64, sq SheetQuery) (*Sheet, error) {
	q := url.Values{}
	q.Set("level", "2")
	q.Set("exclude", "nonexistentCells")
	if !sq.Lean {
		q.Set("include", "objectValue,writerInfo,rowPermalink")
	}
	if sq.IfVersionAfter > 0 {
		q.Set("ifVersionAfter", strconv.FormatInt(sq.IfVersionAfter, 10))
	}
	if !sq.RowsModifiedSince.IsZero() {
		q.Set("rowsModifiedSince", sq.RowsModifiedSince.UTC().Format(time.RFC3339))
	}
	if len(sq.ColumnIDs) > 0 {
		q.Set("columnIds", joinIDs(sq.ColumnIDs))
	}
	if len(sq.RowIDs) > 0 {
		q.Set("rowIds", joinIDs(sq.RowIDs))
	}
	if sq.PageSize > 0 {
		q.Set("pageSize", strconv.Itoa(sq.PageSize))
		q.Set("page", strconv.Itoa(max(sq.Page, 1)))
	}
	var out Sheet
	if err := c.get(ctx, "/sheets/"+strconv.FormatInt(id, 10), q, 1, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SheetVersion is GET /sheets/{id}/version.
func (c *Client) SheetVersion(ctx context.Context, id int64) (int64, error) {
	var out struct {
		Version int64 `json:"version"`
	}
	err := c.get(ctx, "/sheets/"+strconv.FormatInt(id, 10)+"/version", nil, 1, &out)
	return out.Version, err
}

// Workspaces lists every workspace the token sees.
func (c *Client) Workspaces(ctx context.Context) ([]Workspace, error) {
	var all []Workspace
	for page := 1; ; page++ {
		var out Page[Workspace]
		q := url.Values{"page": {strconv.Itoa(page)}, "pageSize": {"100"}}
		if err := c.get(ctx, "/workspaces", q, 1, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Data...)
		if page >= out.TotalPages || len(out.Data) == 0 {
			return all, nil
		}
	}
}

// Workspace reads a workspace with its folders and sheets.
func (c *Client) Workspace(ctx context.Context, id int64) (*Workspace, error) {
	var out Workspace
	q := url.Values{"loadAll": {"true"}}
	if err := c.get(ctx, "/workspaces/"+strconv.FormatInt(id, 10), q, 1, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// historyCost is the cell-history endpoint's weight in the rate limit.
const historyCost = 10

// CellHistory reads every past value of one cell, newest first.
func (c *Client) CellHistory(ctx context.Context, sheetID, rowID, columnID int64) ([]Cell, error) {
	path := "/sheets/" + strconv.FormatInt(sheetID, 10) + "/rows/" + strconv.FormatInt(rowID, 10) +
		"/columns/" + strconv.FormatInt(columnID, 10) + "/history"
	var all []Cell
	for page := 1; ; page++ {
		var out Page[Cell]
		q := url.Values{"include": {"columnType"}, "level": {"2"}, "page": {strconv.Itoa(page)}, "pageSize": {"100"}}
		if err := c.get(ctx, path, q, historyCost, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Data...)
		if page >= out.TotalPages || len(out.Data) == 0 {
			return all, nil
		}
	}
}
