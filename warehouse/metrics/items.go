package metrics

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Item is a work item with its flow dates and flags, linking back to its tool.
type Item struct {
	ID             string     `json:"item_id"`
	Key            string     `json:"key"`
	Title          string     `json:"title"`
	URL            string     `json:"url"`
	Source         string     `json:"source"`
	SourceKind     string     `json:"source_kind"`
	ProjectID      string     `json:"project_id"`
	Scope          string     `json:"scope"`
	TypeCategory   string     `json:"type_category"`
	Status         string     `json:"status"`
	StatusCategory string     `json:"status_category"`
	Estimate       *float64   `json:"estimate"`
	Assignee       string     `json:"assignee_id"`
	CreatedAt      *time.Time `json:"created_at"`
	UpdatedAt      *time.Time `json:"updated_at"`
	StartedAt      *time.Time `json:"started_at"`
	FinishedAt     *time.Time `json:"finished_at"`
	DueDate        *string    `json:"due_date"`
	CycleDays      *float64   `json:"cycle_days"`
	LeadDays       *float64   `json:"lead_days"`
	AgeDays        *float64   `json:"age_days"`
	Reopened       uint8      `json:"reopened"`
	Stale          uint8      `json:"stale"`
	Overdue        uint8      `json:"overdue"`
}

// ItemQuery selects items. Empty fields do not filter.
type ItemQuery struct {
	Project        string
	Scope          string
	StatusCategory string
	Stale          *bool
	Overdue        *bool
	Limit, Offset  int
}

// ItemPage is one page of items.
type ItemPage struct {
	Items  []Item `json:"items"`
	Total  uint64 `json:"total"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
}

// MaxPage bounds a page of items.
const MaxPage = 500

// Items lists items, oldest due date first, then by key.
func (r *Reader) Items(ctx context.Context, q ItemQuery) (ItemPage, error) {
	if q.Limit <= 0 || q.Limit > MaxPage {
		q.Limit = 100
	}
	q.Offset = max(q.Offset, 0)
	var cond []string
	if q.StatusCategory != "" {
		cond = append(cond, "status_category = "+litOf(q.StatusCategory))
	}
	if q.Stale != nil {
		cond = append(cond, fmt.Sprintf("stale = %d", b2i(*q.Stale)))
	}
	if q.Overdue != nil {
		cond = append(cond, fmt.Sprintf("overdue = %d", b2i(*q.Overdue)))
	}
	where := "1"
	if len(cond) > 0 {
		where = strings.Join(cond, " AND ")
	}
	inner := r.b.itemsSQL(r.filter(q.Project, q.Scope), fixedClock(r.now()), r.opt.StaleDays, "1")
	sql := fmt.Sprintf("SELECT *, count() OVER () AS total FROM (%s) WHERE %s ORDER BY isNull(due_date), due_date, key, item_id LIMIT %d OFFSET %d",
		inner, where, q.Limit, q.Offset)
	var rows []struct {
		Item
		Total uint64 `json:"total"`
	}
	if err := r.query(ctx, sql, &rows); err != nil {
		return ItemPage{}, fmt.Errorf("items: %w", err)
	}
	page := ItemPage{Items: make([]Item, 0, len(rows)), Limit: q.Limit, Offset: q.Offset}
	for _, row := range rows {
		page.Items = append(page.Items, row.Item)
		page.Total = row.Total
	}
	reopened, err := r.reopened(ctx)
	if err != nil {
		return ItemPage{}, fmt.Errorf("items: %w", err)
	}
	markReopened(page.Items, reopened)
	if len(rows) == 0 && q.Offset > 0 {
		// past the end: still report how many there are
		var n []struct {
			N uint64 `json:"n"`
		}
		if err := r.query(ctx, fmt.Sprintf("SELECT count() AS n FROM (%s) WHERE %s", inner, where), &n); err != nil {
			return ItemPage{}, fmt.Errorf("items: %w", err)
		}
		if len(n) == 1 {
			page.Total = n[0].N
		}
	}
	return page, nil
}

// flowItems reads the flow rows of a selection matching cond.
func (r *Reader) flowItems(ctx context.Context, f filter, cond, order string) ([]Item, error) {
	sql := r.b.itemsSQL(f, fixedClock(r.now()), r.opt.StaleDays, cond)
	if order != "" {
		sql += " ORDER BY " + order
	}
	var out []Item
	if err := r.query(ctx, sql, &out); err != nil {
		return nil, err
	}
	reopened, err := r.reopened(ctx)
	if err != nil {
		return nil, err
	}
	markReopened(out, reopened)
	return nonNil(out), nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
