package admin

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/metrics"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

// flowMapping has two workflows: OPS's cycle starts when work is Selected (a `when` on
// the transition rule, with the default rule as fallback), and its Selected and Review
// statuses are active, while elsewhere Review is waiting for a reviewer (to_class, scoped
// like any value map).
const flowMapping = `version: 1
entities:
  work_items:
    stream: issues
    fields:
      item_id: {template: "{source}:{native_id}"}
      key: {path: key}
      scope: {template: "jira_project:{path:project}"}
      project_id: {template: "{source}:{path:project}"}
      type_category: {value: story}
      status: {path: status}
      status_category:
        from: status
        values: {Backlog: todo, Selected: todo, In Progress: in_progress, Review: in_progress, Done: done}
      created_at: {path: created, type: time}
      started_at:
        first_transition: {to_value: Selected, when: {path: project, equals: OPS}}
        fallback: {first_transition: {to_category: in_progress}}
      resolved_at: {last_transition: {to_category: done}}
  transitions:
    stream: issues
    each: history[*]
    fields:
      item_id: {template: "{source}:{native_id}"}
      transition_id: {template: "{native_id}-{path:@.id}"}
      at: {path: "@.at", type: time}
      field: {value: status}
      from_value: {path: "@.from"}
      to_value: {path: "@.to"}
      from_category:
        from: from_value
        values: {Backlog: todo, Selected: todo, In Progress: in_progress, Review: in_progress, Done: done}
      to_category:
        from: to_value
        values: {Backlog: todo, Selected: todo, In Progress: in_progress, Review: in_progress, Done: done}
      to_class:
        from: to_value
        values: {Review: waiting}
        scoped:
          - when: {path: project, equals: OPS}
            values: {Selected: active, Review: active}
        default: ""
`

// Cycle time and flow efficiency follow the mapping's per-workflow rules, end to end:
// raw records, re-mapping, the metrics API and the analysts' status_classes view.
func TestFlowFollowsMappingPerWorkflow(t *testing.T) {
	wh := whtest.New(t, "acme")
	day := func(d int) string { return fmt.Sprintf("2026-02-%02dT00:00:00Z", d) }
	var recs []warehouse.RawRecord
	for i, project := range []string{"ALPHA", "OPS"} {
		// the same history in both: Selected on the 2nd, In Progress on the 3rd, Review
		// on the 5th, Done on the 6th
		p := fmt.Sprintf(`{"key":"%s-1","project":%q,"status":"Done","created":%q,"history":[
			{"id":"1","at":%q,"from":"Backlog","to":"Selected"},{"id":"2","at":%q,"from":"Selected","to":"In Progress"},
			{"id":"3","at":%q,"from":"In Progress","to":"Review"},{"id":"4","at":%q,"from":"Review","to":"Done"}]}`,
			project, project, day(1), day(2), day(3), day(5), day(6))
		recs = append(recs, warehouse.RawRecord{Source: "jira", Stream: "issues", NativeID: fmt.Sprint(i + 1), Version: 1, Payload: []byte(p), FetchedAt: time.Now()})
	}
	if err := wh.WriteRaw(ctx, recs); err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Parse("flow.yaml", []byte(flowMapping), nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &pmosync.Source{Config: connectors.SourceConfig{Name: "jira", Kind: "test"}, Mapping: m, MappingText: []byte(flowMapping)}
	res, err := (&pmosync.Engine{WH: wh}).Remap(ctx, src)
	if err != nil || res.Problems != 0 {
		t.Fatal(res, err)
	}
	if err := metrics.Install(ctx, wh); err != nil {
		t.Fatal(err)
	}
	r := metrics.NewReader(wh, metrics.Options{Now: func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }})
	q := metrics.Query{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	for _, want := range []struct {
		project         string
		cycle           float64
		active, waiting float64
	}{
		{"jira:ALPHA", 3, 2, 1}, // starts In Progress; Review waits
		{"jira:OPS", 4, 4, 0},   // starts Selected; Selected and Review are active
	} {
		q.Project = want.project
		d, err := r.Durations(ctx, q, "cycle")
		if err != nil || d.Count != 1 || *d.P50 != want.cycle {
			t.Errorf("%s cycle time %+v %v, want %v days", want.project, d, err, want.cycle)
		}
		e, err := r.FlowEfficiency(ctx, q)
		if err != nil || e.Items != 1 || e.ActiveDays != want.active || e.WaitingDays != want.waiting {
			t.Errorf("%s flow efficiency %+v %v, want active %v waiting %v", want.project, e, err, want.active, want.waiting)
		}
	}
	var classes []struct{ Status, Class string }
	if err := wh.QueryInto(ctx, "SELECT status, class FROM "+wh.Layout().Q("status_classes")+
		" WHERE tenant = 'acme' AND source = 'jira' ORDER BY status, class", &classes); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(classes); got != "[{Review active} {Review waiting} {Selected active}]" {
		t.Errorf("status_classes %s", got)
	}
}

// A class that is not one flow efficiency knows is a problem at load, with its place.
func TestUnknownFlowClassIsAProblem(t *testing.T) {
	text := "version: 1\nentities:\n  transitions:\n    stream: issues\n    fields:\n      item_id: {path: id}\n      transition_id: {path: id}\n      at: {path: at, type: time}\n      to_class: {path: status, values: {Review: waitng}}\n"
	m, err := mappings.Parse("bad.yaml", []byte(text), nil)
	if err == nil {
		_, err = m.Compile(mappings.Env{Source: "jira"})
	}
	if err == nil || !containsAll(err.Error(), `bad.yaml:9:`, `unknown flow class "waitng"`) {
		t.Fatalf("err %v", err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
