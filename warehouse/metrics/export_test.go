package metrics

import "github.com/pmohub/pmohub/warehouse"

// FlowEffSQL exposes the flow-efficiency SQL for debugging tests.
func FlowEffSQL(w *warehouse.Warehouse, project, from, to string) string {
	return sqlb{l: w.Layout()}.flowEfficiency(filter{tenant: w.Tenant(), project: project}, from, to)
}
