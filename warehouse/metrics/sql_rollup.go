package metrics

import (
	"fmt"
	"time"
)

// clock renders "now" in SQL: a literal in the readers (so tests fix the date), the
// engine's clock in the analysts' views.
type clock struct{ now, today string }

func viewClock() clock {
	return clock{now: "now64(3, 'UTC')", today: "toDate(now64(3, 'UTC'))"}
}

func fixedClock(t time.Time) clock {
	t = t.UTC()
	return clock{
		now:   fmt.Sprintf("toDateTime64('%s', 3, 'UTC')", t.Format("2006-01-02 15:04:05.000")),
		today: fmt.Sprintf("toDate('%s')", t.Format("2006-01-02")),
	}
}

// open is an item still to do: not done, not cancelled.
const open = "status_category IN ('todo', 'in_progress')"

// staleCond is an in-progress item with no update for staleDays.
func staleCond(c clock, staleDays int) string {
	return fmt.Sprintf("status_category = 'in_progress' AND coalesce(updated_at, started_at, created_at) < %s - toIntervalDay(%d)", c.now, staleDays)
}

// overdueCond is an open item whose due date has passed.
func overdueCond(c clock) string {
	return fmt.Sprintf("%s AND due_date < %s", open, c.today)
}

// rollup is one row per project with the counts every view of a project starts from:
// one pass over the items with -If combinators (in the order of the snapshot's key),
// plus the reopened items, counted by a second read that the set of reopened items
// prunes (or by the reader, from its cache). weekly counts the items finished in each of
// the weeks full weeks from weeksFrom (a Monday): countResample fills fixed buckets
// without building an array per row.
func (b sqlb) rollup(f filter, c clock, staleDays int, weeksFrom string, weeks int) string {
	counts := fmt.Sprintf(`SELECT tenant, project_id,
    count() AS items,
    countIf(status_category = 'todo') AS todo,
    countIf(status_category = 'in_progress') AS wip,
    countIf(status_category = 'done') AS done,
    countIf(status_category = 'cancelled') AS cancelled,
    sumIf(ifNull(estimate, 0), status_category != 'cancelled') AS estimate_total,
    sumIf(ifNull(estimate, 0), status_category = 'done') AS estimate_done,
    countIf(status_category != 'cancelled' AND isNull(estimate)) AS unestimated,
    countIf(%[4]s) AS overdue,
    countIf(%[5]s) AS stale,
    countResampleIf(0, %[7]d, 1)(intDiv(toInt32(toDate(resolved_at) - %[6]s), 7), status_category = 'done' AND resolved_at >= %[6]s) AS weekly,
    arraySort(groupUniqArray(source)) AS sources
  FROM %[1]s WHERE %[2]s AND %[3]s
  GROUP BY tenant, project_id`,
		b.workItems, f.items(), workFilter, overdueCond(c), staleCond(c, staleDays), weeksFrom, weeks)
	if b.reopenedInGo {
		return "SELECT *, toUInt64(0) AS reopened FROM (" + counts + ")"
	}
	return fmt.Sprintf(`SELECT r.*, ifNull(o.reopened, 0) AS reopened
FROM (%[1]s) AS r
LEFT JOIN (
  SELECT tenant, project_id, count() AS reopened
  FROM %[2]s WHERE %[3]s AND %[4]s AND %[5]s
  GROUP BY tenant, project_id
) AS o ON o.tenant = r.tenant AND o.project_id = r.project_id`, counts, b.workItems, f.items(), workFilter, b.reopenedCond(f))
}

// milestones lists the milestones of the selected projects with whether they are overdue.
func (b sqlb) milestones(f filter, c clock) string {
	return fmt.Sprintf(`SELECT tenant, project_id, item_id, key, title, url, status, status_category,
  due_date, toUInt8(%[3]s) AS overdue
FROM %[1]s WHERE %[2]s AND type_category = 'milestone'`, b.workItems, f.items(), overdueCond(c))
}

// projectsList is the portfolio's projects: the projects entity (registers and the tools'
// own projects) plus any project_id items name that no source defines. A tool's own
// project (a Jira project, a repository, a plan) that a register from another source has
// taken into one of its portfolio projects is left out: its items count there.
func (b sqlb) projectsList(f filter) string {
	pw := f.tenantOnly()
	if f.project != "" {
		pw += " AND project_id = " + litOf(f.project)
	}
	pw += fmt.Sprintf(` AND project_id NOT IN (
  SELECT m.project_id FROM %[1]s AS m
  INNER JOIN %[2]s AS p ON p.tenant = m.tenant AND p.project_id = m.project_id AND p.source = m.source
  INNER JOIN %[1]s AS o ON o.tenant = m.tenant AND o.member_kind = m.member_kind AND o.member_ref = m.member_ref
  WHERE m.%[3]s AND o.project_id != m.project_id AND o.source != m.source
    AND m.member_kind = multiIf(p.source_kind = 'jira', 'jira_project', p.source_kind = 'github', 'github_repo',
                                p.source_kind = 'smartsheet', 'smartsheet_sheet', p.source_kind = 'sheets', 'sheet_tab', ''))`,
		b.q("project_members"), b.q("projects"), f.tenantOnly())
	return fmt.Sprintf(`SELECT tenant, project_id, any(name) AS name, any(key) AS key, any(url) AS url,
  any(programme) AS programme, any(owner_id) AS owner_id, any(status) AS status, any(health) AS health,
  any(start_date) AS start_date, any(target_date) AS target_date, any(percent_complete) AS percent_complete,
  arraySort(groupUniqArray(source)) AS defined_by
FROM %[1]s WHERE %[2]s GROUP BY tenant, project_id`, b.q("projects"), pw)
}

// freshness is one row per source: its last successful sync and its last run.
func (b sqlb) freshness(f filter, c clock) string {
	return fmt.Sprintf(`SELECT tenant, source,
  maxIf(finished_at, status = 'succeeded') AS last_success,
  if(isNull(last_success), NULL, dateDiff('second', last_success, %[3]s)) AS lag_seconds,
  argMax(status, started_at) AS last_status,
  argMax(error, started_at) AS last_error,
  max(started_at) AS last_started,
  count() AS runs
FROM %[1]s WHERE %[2]s GROUP BY tenant, source`, b.q("sync_runs"), f.tenantOnly(), c.now)
}

// throughputBuckets counts finished items per interval bucket in [from, to).
func (b sqlb) throughputBuckets(f filter, bucket, from, to string) string {
	return fmt.Sprintf(`SELECT %[2]s AS bucket, count() AS items, sum(ifNull(estimate, 0)) AS estimate
FROM (%[1]s) WHERE isNotNull(finished_at) AND finished_at >= %[3]s AND finished_at < %[4]s
GROUP BY bucket ORDER BY bucket`, b.flow(f), bucketExpr(bucket, "finished_at"), from, to)
}

// bucketExpr truncates a time to an interval's start (a Date).
func bucketExpr(interval, col string) string {
	switch interval {
	case "day":
		return "toDate(" + col + ")"
	case "month":
		return "toStartOfMonth(" + col + ")"
	}
	return "toMonday(" + col + ")"
}

// burnup counts, at the end of each bucket, the scope (items created by then and not yet
// cancelled by then) and the items done by then, by count and by estimate. Scope growth
// shows as the scope line rising.
func (b sqlb) burnup(f filter, points string) string {
	return fmt.Sprintf(`SELECT p AS at,
  countIf(created_at < p AND NOT (status_category = 'cancelled' AND ifNull(resolved_at, updated_at) < p)) AS scope,
  countIf(finished_at < p) AS done,
  sumIf(ifNull(estimate, 0), created_at < p AND NOT (status_category = 'cancelled' AND ifNull(resolved_at, updated_at) < p)) AS scope_estimate,
  sumIf(ifNull(estimate, 0), finished_at < p) AS done_estimate
FROM (%[1]s) ARRAY JOIN %[2]s AS p
GROUP BY p ORDER BY p`, b.flow(f), points)
}

// flowEfficiency sums, per finished item, the time between its start and finish spent in
// active and in waiting statuses, from its ordered transitions. A transition's class is
// the one its mapping gave it (transitions.to_class, per workflow), else the default of its
// category (defaultClasses, as the status_classes view lists them; read from the
// constant, not the view, which also scans transitions). Only the transitions of the items
// finished in the period are grouped.
func (b sqlb) flowEfficiency(f filter, from, to string) string {
	key := "(tenant, item_id)"
	if f.tenant != "" {
		key = "item_id"
	}
	finished := fmt.Sprintf(`SELECT tenant, item_id, assumeNotNull(started_at) AS start, assumeNotNull(finished_at) AS finish
  FROM (%[1]s) WHERE isNotNull(finished_at) AND isNotNull(started_at) AND finished_at >= %[2]s AND finished_at < %[3]s`, b.flow(f), from, to)
	return fmt.Sprintf(`SELECT fl.item_id AS item_id,
  arraySum(i -> if(h[i].2 = 'active', greatest(0, dateDiff('second', greatest(h[i].1, fl.start), least(if(i < length(h), h[i + 1].1, fl.finish), fl.finish))), 0), arrayEnumerate(h)) AS active_seconds,
  arraySum(i -> if(h[i].2 = 'waiting', greatest(0, dateDiff('second', greatest(h[i].1, fl.start), least(if(i < length(h), h[i + 1].1, fl.finish), fl.finish))), 0), arrayEnumerate(h)) AS waiting_seconds
FROM (%[1]s) AS fl
INNER JOIN (
  SELECT t.tenant AS tenant, t.item_id AS item_id, arraySort(x -> x.1, groupArray((t.at, if(t.to_class != '', t.to_class, d.class)))) AS h
  FROM (SELECT tenant, item_id, at, to_class, to_category FROM %[2]s
    WHERE %[3]s AND field = 'status' AND %[5]s IN (SELECT %[5]s FROM (%[1]s))) AS t
  LEFT JOIN (SELECT c.1 AS category, c.2 AS class FROM (SELECT arrayJoin(%[4]s) AS c)) AS d ON d.category = t.to_category
  GROUP BY t.tenant, t.item_id
) AS hist ON hist.tenant = fl.tenant AND hist.item_id = fl.item_id`, finished, b.transitions, f.tenantOnly(), defaultClasses, key)
}

// itemsSQL lists flow rows with their derived flags; cond narrows them further.
func (b sqlb) itemsSQL(f filter, c clock, staleDays int, cond string) string {
	return fmt.Sprintf(`SELECT item_id, key, title, url, source, source_kind, project_id, scope, type_category,
  status, status_category, estimate, assignee_id, created_at, updated_at, started_at, finished_at,
  due_date, cycle_days, lead_days, reopened,
  if(status_category = 'in_progress' AND isNotNull(started_at), dateDiff('second', started_at, %[2]s) / 86400, NULL) AS age_days,
  toUInt8(%[3]s) AS stale, toUInt8(%[4]s) AS overdue
FROM (%[1]s) WHERE %[5]s`, b.flow(f), c.now, staleCond(c, staleDays), overdueCond(c), cond)
}
