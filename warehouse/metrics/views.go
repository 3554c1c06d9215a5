package metrics

import (
	"context"
	"fmt"

	"github.com/pmohub/pmohub/warehouse"
)

// ViewNames lists the analysts' views Install creates, in creation order.
var ViewNames = []string{"status_classes", "metric_item_flow", "metric_throughput_weekly",
	"metric_cycle_time", "metric_wip", "metric_project_status", "metric_source_freshness"}

// views returns the CREATE statements of the analysts' metric views: the readers' own
// definitions with no tenant filter and the engine's clock. Stale means 14 days here.
func (b sqlb) views() []string {
	all := filter{}
	c := viewClock()
	create := func(name, body string) string {
		return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS\n%s", b.q(name), body)
	}
	return []string{
		b.statusClassesView(),
		create("metric_item_flow", b.flow(all)),
		create("metric_throughput_weekly", fmt.Sprintf(`SELECT tenant, project_id, week,
  toUInt64(if(has(m.1, week), m.2[indexOf(m.1, week)], 0)) AS items
FROM (SELECT tenant, project_id, sumMap([toMonday(finished_at)], [toUInt64(1)]) AS m
      FROM %s WHERE isNotNull(finished_at) GROUP BY tenant, project_id)
ARRAY JOIN arrayMap(i -> addWeeks(m.1[1], i), range(toUInt32(dateDiff('week', m.1[1], toMonday(%s)) + 1))) AS week`,
			b.q("metric_item_flow"), c.today)),
		create("metric_cycle_time", fmt.Sprintf(`SELECT tenant, project_id, source, scope, item_id, key, url,
  started_at, finished_at, toMonday(finished_at) AS week, cycle_days, lead_days, reopened
FROM %s WHERE isNotNull(finished_at)`, b.q("metric_item_flow"))),
		create("metric_wip", fmt.Sprintf(`SELECT tenant, project_id, source, scope, item_id, key, title, url, status,
  started_at, updated_at, if(isNotNull(started_at), dateDiff('second', started_at, %[2]s) / 86400, NULL) AS age_days,
  toUInt8(%[3]s) AS stale
FROM %[1]s WHERE status_category = 'in_progress'`, b.q("metric_item_flow"), c.now, staleCond(c, 14))),
		create("metric_project_status", fmt.Sprintf(`SELECT tenant, project_id, items, todo, wip, done, cancelled,
  if(items > cancelled, round(100 * done / (items - cancelled), 1), NULL) AS percent_by_count,
  if(estimate_total > 0, round(100 * estimate_done / estimate_total, 1), NULL) AS percent_by_estimate,
  estimate_total, estimate_done, unestimated, overdue, stale, reopened, sources
FROM (%s)`, b.rollup(all, c, 14, "toMonday("+c.today+") - 84", 12))),
		create("metric_source_freshness", b.freshness(all, c)),
	}
}

// Install creates (or refreshes) the analysts' metric views in the warehouse. Like the
// canonical views they hold no data, so running it on every start is cheap and keeps them
// equal to the code.
func Install(ctx context.Context, wh *warehouse.Warehouse) error {
	for i, s := range viewSQL(wh.Layout()).views() {
		if err := wh.Exec(ctx, s); err != nil {
			return fmt.Errorf("creating view %s: %w", ViewNames[i], err)
		}
	}
	return nil
}
