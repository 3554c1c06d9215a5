package metrics

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoProject is returned for a project the warehouse does not know.
var ErrNoProject = errors.New("no such project")

// Member is a source scope (Jira project, repository, sheet) a project rolls up.
type Member struct {
	Source string `json:"source"`
	Kind   string `json:"member_kind"`
	Ref    string `json:"member_ref"`
	Items  uint64 `json:"items"`
}

// ProjectDetail is one project's summary with the lists its page shows. The charts'
// series come from Metric with Query.Project set.
type ProjectDetail struct {
	ProjectSummary
	Members      []Member    `json:"members"`
	Milestones   []Milestone `json:"milestones"`
	OverdueItems []Item      `json:"overdue_items"`
	StaleItems   []Item      `json:"stale_items"`
	// ListLimit caps each list: the summary carries the totals (overdue, stale), and
	// /api/v1/items pages through all of them.
	ListLimit int `json:"list_limit"`
}

// projectListLimit keeps a project page light when a project has thousands of late items.
const projectListLimit = 500

// Project reads one project's summary, members, milestones, overdue and stale items.
func (r *Reader) Project(ctx context.Context, id string) (ProjectDetail, error) {
	p, miles, err := r.portfolio(ctx, id)
	if err != nil {
		return ProjectDetail{}, err
	}
	if len(p.Projects) == 0 {
		return ProjectDetail{}, fmt.Errorf("project %q: %w", id, ErrNoProject)
	}
	d := ProjectDetail{ProjectSummary: p.Projects[0]}
	f := r.filter(id, "")
	// Members: what registers say the project rolls up, plus the scopes its items come from.
	q := fmt.Sprintf(`SELECT source, member_kind, member_ref, toUInt64(0) AS items FROM %[1]s WHERE %[2]s AND project_id = %[3]s
UNION ALL
SELECT source, splitByChar(':', scope)[1] AS member_kind, substring(scope, length(member_kind) + 2) AS member_ref, count() AS items
FROM %[4]s WHERE %[5]s AND scope != '' GROUP BY source, scope`,
		r.b.q("project_members"), f.tenantOnly(), litOf(id), r.b.workItems, f.items())
	var rows []Member
	if err := r.query(ctx, "SELECT any(source) AS source, member_kind, member_ref, max(items) AS items FROM ("+q+") GROUP BY member_kind, member_ref ORDER BY member_kind, member_ref", &rows); err != nil {
		return d, fmt.Errorf("project members: %w", err)
	}
	d.Members = nonNil(rows)
	d.Milestones = miles
	d.ListLimit = projectListLimit
	d.OverdueItems, d.StaleItems = []Item{}, []Item{}
	for _, l := range []struct {
		cond string
		into *[]Item
	}{{"overdue = 1", &d.OverdueItems}, {"stale = 1", &d.StaleItems}} {
		items, err := r.flowItems(ctx, f, l.cond, fmt.Sprintf("isNull(due_date), due_date, key LIMIT %d", projectListLimit))
		if err != nil {
			return d, fmt.Errorf("project items: %w", err)
		}
		*l.into = items
	}
	return d, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
