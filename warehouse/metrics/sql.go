package metrics

import (
	"fmt"
	"strings"

	"github.com/pmohub/pmohub/warehouse"
)

// The metric definitions, as SQL over the canonical views. Each builder is used twice: by
// the typed readers (with the warehouse's tenant and a project or scope filter) and by
// Install, which creates the analysts' metric_* views from the very same text with no
// filter (views carry tenant as a column). So API, dashboard and SQL never disagree.

// workFilter keeps milestones out of item counts: they are markers, not work.
const workFilter = "type_category != 'milestone'"

// filter selects the work items a metric reads.
type filter struct {
	tenant  string // "" in views: every tenant, grouped by the tenant column
	project string
	scope   string // a source scope, `<member_kind>:<member_ref>`
}

// items is the condition on work_items (alias-free column names).
func (f filter) items() string {
	c := []string{"1"}
	if f.tenant != "" {
		c = append(c, "tenant = "+warehouse.Lit(f.tenant))
	}
	if f.project != "" {
		c = append(c, "project_id = "+warehouse.Lit(f.project))
	}
	if f.scope != "" {
		c = append(c, "scope = "+warehouse.Lit(f.scope))
	}
	return strings.Join(c, " AND ")
}

// tenantOnly is the condition for tables that only carry tenant.
func (f filter) tenantOnly() string {
	if f.tenant == "" {
		return "1"
	}
	return "tenant = " + warehouse.Lit(f.tenant)
}

// sqlb builds SQL for one warehouse layout.
type sqlb struct{ l warehouse.Layout }

func (b sqlb) q(name string) string { return b.l.Q(name) }

// statusClassesView classifies statuses for flow metrics. Today it holds one default row
// per status category (tenant, source and status '*'); per-source rows for individual
// statuses (a later mapping feature) override the defaults, with no change to the metrics.
func (b sqlb) statusClassesView() string {
	return fmt.Sprintf(`CREATE OR REPLACE VIEW %s AS
SELECT '*' AS tenant, '*' AS source, '*' AS status, c.1 AS category, c.2 AS class,
       toUInt8(c.3) AS starts_cycle, toUInt8(c.4) AS finishes_cycle
FROM (SELECT arrayJoin([('todo', 'waiting', 0, 0), ('in_progress', 'active', 1, 0),
                        ('done', 'done', 0, 1), ('cancelled', 'cancelled', 0, 0)]) AS c)`, b.q("status_classes"))
}

// classIs returns a condition on a transition (alias t) entering a status whose class
// column col is 1: an exact (tenant, source, status) row wins over the category default.
func (b sqlb) classIs(col string) string {
	sc := b.q("status_classes")
	return fmt.Sprintf(`if((t.tenant, t.source, t.to_value) IN (SELECT tenant, source, status FROM %[1]s WHERE status != '*'),
  (t.tenant, t.source, t.to_value) IN (SELECT tenant, source, status FROM %[1]s WHERE status != '*' AND %[2]s = 1),
  t.to_category IN (SELECT category FROM %[1]s WHERE status = '*' AND %[2]s = 1))`, sc, col)
}

// flow is one row per work item (milestones excluded) with its flow dates:
//
//	started_at   first entry into a status that starts the cycle (transitions), else
//	             work_items.started_at
//	finished_at  for items now done: resolved_at, else the last transition into a
//	             finishing status; NULL for everything not done (reopened items too)
//	cycle_days   finished_at - started_at in days (NULL without a start)
//	lead_days    finished_at - created_at in days
//	reopened     1 when the item ever left done again
func (b sqlb) flow(f filter) string {
	trWhere := f.tenantOnly()
	if f.project != "" || f.scope != "" {
		// only the transitions of the selected items: far fewer groups to build
		trWhere += fmt.Sprintf(" AND item_id IN (SELECT item_id FROM %s WHERE %s)", b.q("work_items"), f.items())
	}
	epoch := "toDateTime64(0, 3, 'UTC')"
	return fmt.Sprintf(`SELECT w.tenant AS tenant, w.source AS source, w.item_id AS item_id, w.key AS key,
  w.title AS title, w.url AS url, w.project_id AS project_id, w.scope AS scope,
  w.source_kind AS source_kind, w.type_category AS type_category, w.status AS status,
  w.status_category AS status_category, w.estimate AS estimate, w.assignee_id AS assignee_id,
  w.created_at AS created_at, w.updated_at AS updated_at, w.resolved_at AS resolved_at,
  w.due_date AS due_date,
  if(t.first_start > %[4]s, t.first_start, w.started_at) AS started_at,
  if(w.status_category = 'done', if(isNotNull(w.resolved_at), w.resolved_at, if(t.last_finish > %[4]s, t.last_finish, NULL)), NULL) AS finished_at,
  dateDiff('second', started_at, finished_at) / 86400 AS cycle_days,
  dateDiff('second', w.created_at, finished_at) / 86400 AS lead_days,
  t.reopened AS reopened
FROM (SELECT * FROM %[1]s WHERE %[2]s AND %[6]s) AS w
LEFT JOIN (
  SELECT t.tenant AS tenant, t.item_id AS item_id,
    minIf(t.at, %[5]s) AS first_start,
    maxIf(t.at, %[7]s) AS last_finish,
    toUInt8(countIf(t.from_category = 'done' AND t.to_category != 'done') > 0) AS reopened
  FROM %[3]s AS t WHERE %[8]s AND t.field = 'status'
  GROUP BY t.tenant, t.item_id
) AS t ON t.tenant = w.tenant AND t.item_id = w.item_id`,
		b.q("work_items"), f.items(), b.q("transitions"), epoch,
		b.classIs("starts_cycle"), workFilter, b.classIs("finishes_cycle"), trWhere)
}

func litOf(s string) string { return warehouse.Lit(s) }
