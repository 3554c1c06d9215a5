package metrics

import (
	"fmt"
	"strings"

	"github.com/pmohub/pmohub/warehouse"
)

// The metric definitions, as SQL. Each builder is used twice: by the typed readers (with
// the warehouse's tenant and a project or scope filter, reading the read snapshots) and by
// Install, which creates the analysts' metric_* views from the very same text with no
// filter over the versioned canonical views (views carry tenant as a column). So API,
// dashboard and SQL never disagree.

// workFilter keeps milestones out of item counts: they are markers, not work.
const workFilter = "type_category != 'milestone'"

// filter selects the work items a metric reads.
type filter struct {
	tenant  string // "" in views: every tenant, grouped by the tenant column
	project string
	scope   string // a source scope, `<member_kind>:<member_ref>`
}

// items is the condition on work_items (alias-free column names). tenant and project_id
// lead the snapshot's sorting key, so a project's rows are read by primary-key range.
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

// sqlb builds SQL for one warehouse layout. workItems and transitions name where the
// current items and transitions are read from: the read snapshots for the API (no FINAL,
// sorted for its filters), the canonical views for the analysts' views (the contract).
type sqlb struct {
	l                      warehouse.Layout
	workItems, transitions string
	// reopenedInGo: the reader flags reopened items from its per-snapshot cache
	// (reopened.go), so the SQL leaves the flag 0 and skips the transitions.
	reopenedInGo bool
}

// readerSQL reads the snapshots (the views themselves on a cluster, which keeps none);
// viewSQL the canonical views.
func readerSQL(l warehouse.Layout) sqlb {
	return sqlb{l: l, workItems: l.Snapshot(warehouse.WorkItems), transitions: l.Snapshot(warehouse.Transitions),
		reopenedInGo: l.Cluster == ""}
}

func viewSQL(l warehouse.Layout) sqlb {
	return sqlb{l: l, workItems: l.Q(warehouse.WorkItems.Name), transitions: l.Q(warehouse.Transitions.Name)}
}

func (b sqlb) q(name string) string { return b.l.Q(name) }

// statusClassesView classifies statuses for flow metrics: one default row per status
// category (tenant, source and status '*'), then the classes the mappings gave individual
// statuses (transitions.to_class), per tenant, source and status as observed; a status
// classed differently per workflow has a row per class. Flow efficiency reads a
// transition's own to_class, else its category's default class here. starts_cycle and
// finishes_cycle describe the defaults; per workflow they are the mapped started_at and
// resolved_at (see METRICS.md).
func (b sqlb) statusClassesView() string {
	return fmt.Sprintf(`CREATE OR REPLACE VIEW %s AS
SELECT '*' AS tenant, '*' AS source, '*' AS status, c.1 AS category, c.2 AS class,
       toUInt8(c.3) AS starts_cycle, toUInt8(c.4) AS finishes_cycle
FROM (SELECT arrayJoin(`+defaultClasses+`) AS c)
UNION ALL
SELECT tenant, source, to_value AS status, any(to_category) AS category, to_class AS class,
       toUInt8(0) AS starts_cycle, toUInt8(0) AS finishes_cycle
FROM %s WHERE field = 'status' AND to_class != ''
GROUP BY tenant, source, to_value, to_class`, b.q("status_classes"), b.q(warehouse.Transitions.Name))
}

// defaultClasses are the default class of each status category: (category, class,
// starts_cycle, finishes_cycle).
const defaultClasses = `[('todo', 'waiting', 0, 0), ('in_progress', 'active', 1, 0),
  ('done', 'done', 0, 1), ('cancelled', 'cancelled', 0, 0)]`

// reopenedCond is true for an item that ever left done. Few items match and the
// subquery reads only low-cardinality columns, so it costs milliseconds even over
// millions of transitions; in a WHERE the set also prunes the snapshot's granules. The
// readers (one tenant) test item_id alone, the views (every tenant) the pair.
func (b sqlb) reopenedCond(f filter) string {
	key := "(tenant, item_id)"
	if f.tenant != "" {
		key = "item_id"
	}
	return fmt.Sprintf(`%[1]s IN (SELECT %[1]s FROM %[2]s
  WHERE %[3]s AND field = 'status' AND from_category = 'done' AND to_category != 'done')`, key, b.transitions, f.tenantOnly())
}

// finishedAt is when an item finished: its resolution, for items done now. Items not
// done (reopened ones too) are not finished; cancelled ones leave the scope instead.
const finishedAt = "if(status_category = 'done', resolved_at, NULL)"

// flow is one row per work item (milestones excluded) with its flow dates, all from the
// item itself (the mapping sets started_at and resolved_at from the item's history at
// sync time):
//
//	started_at   work_items.started_at (first entry into in progress)
//	finished_at  resolved_at for items now done; NULL for everything not done (reopened
//	             items too, and cancelled ones: they leave the scope instead)
//	cycle_days   finished_at - started_at in days (NULL without a start)
//	lead_days    finished_at - created_at in days
//	reopened     1 when the item ever left done again (the one flag that needs transitions)
func (b sqlb) flow(f filter) string {
	reopened := b.reopenedCond(f)
	if b.reopenedInGo {
		reopened = "0"
	}
	return fmt.Sprintf(`SELECT tenant, source, item_id, key, title, url, project_id, scope, source_kind,
  type_category, status, status_category, estimate, assignee_id, created_at, updated_at,
  resolved_at, due_date, started_at,
  %[5]s AS finished_at,
  dateDiff('second', started_at, finished_at) / 86400 AS cycle_days,
  dateDiff('second', created_at, finished_at) / 86400 AS lead_days,
  toUInt8(%[3]s) AS reopened
FROM %[1]s WHERE %[2]s AND %[4]s`, b.workItems, f.items(), reopened, workFilter, finishedAt)
}

func litOf(s string) string { return warehouse.Lit(s) }
