package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

var ctx = context.Background()

// builtin is the test kind's built-in mapping: items with a status category map.
const builtin = `version: 1
entities:
  work_items:
    stream: items
    fields:
      item_id: {template: "{source}:{native_id}"}
      key: {path: key}
      title: {path: title}
      status: {path: status}
      status_category:
        from: status
        values: {Open: todo, Doing: in_progress, Done: done}
        default: todo
      labels: {path: labels, type: list}
`

// edited changes the title, maps Blocked and adds a team from labels (CEL).
const edited = `extends: default
entities:
  work_items:
    fields:
      title: {template: "{key} {path:title}"}
      status_category:
        from: status
        values: {Open: todo, Doing: in_progress, Done: done, Blocked: in_progress}
      attributes.team: {expr: 'row.labels.exists(l, l.startsWith("team-")) ? row.labels.filter(l, l.startsWith("team-"))[0].substring(5) : ""'}
`

type fixture struct {
	wh     *warehouse.Warehouse
	engine *pmosync.Engine
	src    *pmosync.Source
	svc    *Service
}

// newFixture stores n raw items for source "tracker" and maps them with the built-in
// mapping into generation 1, as a first sync would.
func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	wh := whtest.New(t, "acme")
	var recs []warehouse.RawRecord
	statuses := []string{"Open", "Doing", "Done", "Blocked"}
	for i := 1; i <= n; i++ {
		p := fmt.Sprintf(`{"key":"T-%d","title":"Item %d","status":%q,"labels":["x","team-%s"]}`, i, i, statuses[i%len(statuses)], []string{"red", "blue"}[i%2])
		recs = append(recs, warehouse.RawRecord{Source: "tracker", Stream: "items", NativeID: fmt.Sprint(i), Version: uint64(i), Payload: []byte(p), FetchedAt: time.Now()})
	}
	if err := wh.WriteRaw(ctx, recs); err != nil {
		t.Fatal(err)
	}
	m, err := mappings.DefaultFor("test", []byte(builtin))
	if err != nil {
		t.Fatal(err)
	}
	src := &pmosync.Source{Config: connectors.SourceConfig{Name: "tracker", Kind: "test", URL: "https://tracker.example"}, Mapping: m, MappingText: []byte(builtin)}
	engine := &pmosync.Engine{WH: wh}
	if _, err := engine.Remap(ctx, src); err != nil {
		t.Fatal(err)
	}
	svc := New(engine, []*Source{{Sync: src, Builtin: []byte(builtin)}}, nil)
	return &fixture{wh: wh, engine: engine, src: src, svc: svc}
}

func (f *fixture) items(t testing.TB) map[string]map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := f.wh.QueryInto(ctx, "SELECT item_id, title, status_category, attributes FROM "+f.wh.Layout().Database+".work_items", &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, r := range rows {
		out[r["item_id"].(string)] = r
	}
	return out
}

func TestValidateReportsFileAndDataProblems(t *testing.T) {
	f := newFixture(t, 8)
	r, err := f.svc.Validate(ctx, "tracker", []byte("extends: default\nentities:\n  work_items:\n    fields:\n      stauts: {path: status}\n      title: {expr: 'payload.title +'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Valid || r.Errors != 2 || r.Problems[0].Line != 5 || !strings.Contains(r.Problems[0].Hint, "did you mean status") || r.Problems[1].Line != 6 {
		t.Fatalf("%+v", r.Problems)
	}
	// Valid file, but stored records show a status the map leaves empty and a bad path.
	r, err = f.svc.Validate(ctx, "tracker", []byte("extends: default\nentities:\n  work_items:\n    fields:\n      priority: {path: prio}\n      status_category:\n        from: status\n        values: {Open: todo, Doing: in_progress, Done: done}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Valid || r.Errors != 1 || r.Warnings != 1 || r.Records["items"] != 8 {
		t.Fatalf("%+v", r)
	}
	text := r.Problems[0].Text + "\n" + r.Problems[1].Text
	if !strings.Contains(text, `tracker.yaml:5:18: warning: entities.work_items.fields.priority.path: path "prio" never matched in 8 rows`) ||
		!strings.Contains(text, `tracker.yaml:8:9: entities.work_items.fields.status_category.values: value "Blocked" is not in the value map: 2 rows left empty`) {
		t.Fatal(text)
	}
}

func TestPreviewApplyHistoryRollback(t *testing.T) {
	f := newFixture(t, 8)
	before := f.items(t)
	if before["tracker:4"]["title"] != "Item 4" || before["tracker:4"]["status_category"] != "todo" {
		t.Fatalf("generation 1: %v", before["tracker:4"])
	}

	p, err := f.svc.Preview(ctx, "tracker", []byte(edited), 3)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Valid || len(p.Diff) != 1 || p.Diff[0].Table != "work_items" || p.Diff[0].Changed != 8 || p.Diff[0].Added != 0 || len(p.Diff[0].Examples) != 3 {
		t.Fatalf("diff %+v problems %+v", p.Diff, p.Problems)
	}
	ch := p.Diff[0].Examples[0]
	if ch.Key != "tracker:1" || len(ch.Changes) != 2 || ch.Changes[0].Field != "title" || ch.Changes[0].Before != "Item 1" || ch.Changes[0].After != "T-1 Item 1" ||
		ch.Changes[1].Field != "attributes" || ch.Changes[1].After != "team=blue" {
		t.Fatalf("first change %+v", ch)
	}
	if len(p.Rows["work_items"]) != 3 || p.Rows["work_items"][0]["title"] != "T-1 Item 1" {
		t.Fatalf("rows %v", p.Rows)
	}
	// The built-in mapping's default hides Blocked; the preview of the one in force says so.
	cur, err := f.svc.Preview(ctx, "tracker", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cur.Unmapped) != 1 || cur.Unmapped[0].Value != "Blocked" || cur.Unmapped[0].Count != 2 || cur.Unmapped[0].Default != "todo" || cur.Diff[0].Unchanged != 8 {
		t.Fatalf("unmapped %+v diff %+v", cur.Unmapped, cur.Diff)
	}
	if got := f.items(t); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatal("preview wrote to the warehouse")
	}

	// Apply: a new generation with the new rows; the first apply keeps the original as v1.
	res, err := f.svc.Apply(ctx, "tracker", []byte(edited), "ann", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 2 || res.Generation != 2 || res.Records != 8 || res.Rows != 8 || res.Problems != 0 ||
		res.Note != "added work_items.attributes.team, changed work_items.status_category, changed work_items.title" {
		t.Fatalf("%+v", res)
	}
	after := f.items(t)
	if after["tracker:4"]["title"] != "T-4 Item 4" || after["tracker:3"]["status_category"] != "in_progress" ||
		after["tracker:4"]["attributes"].(map[string]any)["team"] != "red" {
		t.Fatalf("after apply: %v", after["tracker:4"])
	}
	cur2, err := f.svc.Current(ctx, "tracker")
	if err != nil || cur2.Origin != "applied" || cur2.Version != 2 || cur2.Text != edited {
		t.Fatalf("%+v %v", cur2, err)
	}
	// A sync would now see no mapping change: the source's hash is the applied one's.
	g, _, _ := f.wh.ActiveGeneration(ctx, "tracker")
	if g.MappingHash != f.src.MappingHash() {
		t.Fatal("the source's mapping was not updated")
	}
	fresh := &pmosync.Source{Config: f.src.Config, Mapping: nil, MappingText: []byte(builtin)}
	if err := UseApplied(ctx, f.wh, []*pmosync.Source{fresh}, func(string) []byte { return []byte(builtin) }); err != nil {
		t.Fatal(err)
	}
	if fresh.MappingHash() != g.MappingHash || fresh.Mapping == nil {
		t.Fatal("UseApplied does not give the applied mapping's hash")
	}

	// A mapping with errors is refused whole.
	_, err = f.svc.Apply(ctx, "tracker", []byte("extends: default\nentities:\n  work_items:\n    fields:\n      title: {pth: x}\n"), "bob", "")
	var inv *InvalidError
	if !errors.As(err, &inv) || len(inv.Problems) == 0 || inv.Problems[0].Pos.Line != 5 {
		t.Fatalf("invalid apply: %v", err)
	}

	hist, err := History(ctx, f.wh, "tracker")
	if err != nil || len(hist) != 2 || hist[0].Version != 2 || hist[0].AppliedBy != "ann" || hist[1].Version != 1 || hist[1].Note != "the built-in mapping in force before the first apply" {
		t.Fatalf("history %+v %v", hist, err)
	}

	// Rollback (to the previous version) restores the original rows, as version 3.
	rb, err := f.svc.Rollback(ctx, "tracker", 0, "ann")
	if err != nil {
		t.Fatal(err)
	}
	if rb.Version != 3 || rb.Note != "rollback to version 1" || rb.Generation != 3 {
		t.Fatalf("%+v", rb)
	}
	if got := f.items(t); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("after rollback:\n%v\nwant\n%v", got, before)
	}
	if _, err := f.svc.Rollback(ctx, "tracker", 9, "ann"); err == nil {
		t.Fatal("rollback to a missing version")
	}
	if _, err := f.svc.Current(ctx, "nope"); !errors.Is(err, ErrUnknownSource) {
		t.Fatal(err)
	}
}

// Apply refuses errors found against the stored records too (a value left empty), not
// only errors in the file; warnings (a path that never matched) do not stop it.
func TestApplyRefusesStoredRecordErrors(t *testing.T) {
	f := newFixture(t, 8)
	before := f.items(t)
	noDefault := "extends: default\nentities:\n  work_items:\n    fields:\n      status_category:\n        from: status\n        values: {Open: todo, Doing: in_progress, Done: done}\n"
	_, err := f.svc.Apply(ctx, "tracker", []byte(noDefault), "bob", "")
	var inv *InvalidError
	if !errors.As(err, &inv) || len(inv.Problems) != 1 || inv.Problems[0].Warning || inv.Problems[0].Pos.Line != 7 ||
		!strings.Contains(inv.Problems[0].Message, `value "Blocked" is not in the value map: 2 rows left empty`) {
		t.Fatalf("apply with a stored-record error: %v %+v", err, inv)
	}
	if hist, err := History(ctx, f.wh, "tracker"); err != nil || len(hist) != 0 {
		t.Fatalf("refused apply recorded history %+v %v", hist, err)
	}
	if g, _, _ := f.wh.ActiveGeneration(ctx, "tracker"); g.Generation != 1 {
		t.Fatalf("refused apply re-mapped: generation %d", g.Generation)
	}
	if got := f.items(t); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatal("refused apply changed rows")
	}
	// Only a warning: applied.
	res, err := f.svc.Apply(ctx, "tracker", []byte("extends: default\nentities:\n  work_items:\n    fields:\n      priority: {path: prio}\n"), "bob", "")
	if err != nil || res.Version != 2 || res.Generation != 2 {
		t.Fatalf("apply with a warning: %+v %v", res, err)
	}
}

// A column the mapping requires that the stored tabs lack is an error of validate, and
// apply refuses it.
func TestApplyRefusesMissingRequiredColumns(t *testing.T) {
	wh := whtest.New(t, "acme")
	var recs []warehouse.RawRecord
	for i := 1; i <= 3; i++ {
		p := fmt.Sprintf(`{"tab":"Projects","table_name":"Register","cells":{"Name":"P%d"}}`, i)
		recs = append(recs, warehouse.RawRecord{Source: "register", Stream: "rows", NativeID: fmt.Sprint(i), Version: 1, Payload: []byte(p), FetchedAt: time.Now()})
	}
	if err := wh.WriteRaw(ctx, recs); err != nil {
		t.Fatal(err)
	}
	const base = "version: 1\nentities:\n  projects:\n    stream: rows\n    fields:\n      project_id: {template: \"{source}:{native_id}\"}\n      name: {column: Name}\n"
	m, err := mappings.DefaultFor("tab", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	src := &pmosync.Source{Config: connectors.SourceConfig{Name: "register", Kind: "tab"}, Mapping: m, MappingText: []byte(base)}
	svc := New(&pmosync.Engine{WH: wh}, []*Source{{Sync: src, Builtin: []byte(base)}}, nil)
	owner := []byte("extends: default\nentities:\n  projects:\n    fields:\n      attributes.owner: {column: Owner}\n")
	r, err := svc.Validate(ctx, "register", owner)
	if err != nil || r.Valid || r.Errors != 1 || !strings.Contains(r.Problems[0].Message, `column "Owner" is not in spreadsheet "Register" tab "Projects" (3 stored rows)`) {
		t.Fatalf("validate: %+v %v", r, err)
	}
	_, err = svc.Apply(ctx, "register", owner, "ann", "")
	var inv *InvalidError
	if !errors.As(err, &inv) || len(inv.Problems) != 1 || inv.Problems[0].String() != r.Problems[0].Text {
		t.Fatalf("apply: %v %+v", err, inv)
	}
	if g, ok, _ := wh.ActiveGeneration(ctx, "register"); ok {
		t.Fatalf("refused apply re-mapped: generation %d", g.Generation)
	}
	// With a default the column is optional: applied.
	if _, err := svc.Apply(ctx, "register", []byte("extends: default\nentities:\n  projects:\n    fields:\n      attributes.owner: {column: Owner, default: nobody}\n"), "ann", ""); err != nil {
		t.Fatal(err)
	}
}
