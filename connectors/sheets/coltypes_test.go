package sheets

import (
	"strings"
	"testing"

	sf "github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
)

// costAsNumber makes the mapping read the Cost column as a number.
const costAsNumber = `extends: default
entities:
  work_items:
    fields:
      estimate: {column: [Cost, Estimate], type: number}
`

func seedTasks(t *testing.T, e *env) {
	t.Helper()
	// Half the costs are numbers written as text, half are not numbers: inferred as text.
	must(t, e.fake.AddTab(demoID, "Tasks", [][]sf.Cell{
		hdr("Task ID", "Task", "Status", "Cost", "Risk Owner"),
		{sf.T("T-1"), sf.T("Plan"), sf.T("Done"), sf.T("100"), sf.T("ana")},
		{sf.T("T-2"), sf.T("Build"), sf.T("In Progress"), sf.T("250")},
		{sf.T("T-3"), sf.T("Test"), sf.T("Not Started"), sf.T("n/a")},
		{sf.T("T-4"), sf.T("Ship"), sf.T("Not Started"), sf.T("tbd")},
	}))
}

const tasksSettings = `
spreadsheets:
  - id: 1PMOportfolioDEMO
    tabs:
      - {tab: Tasks, entity: work_items, key: Task ID}
`

func TestMappingFixesAColumnType(t *testing.T) {
	e := newEnv(t, tasksSettings)
	seedTasks(t, e)
	e.mustSync()
	if c := e.store.payload(t, e.rowID("Tasks", "T-1"))["cells"].(map[string]any); c["Cost"] != "100" {
		t.Fatalf("without a mapping type Cost = %#v, want the inferred text \"100\"", c["Cost"])
	}

	// The mapping reads Cost as a number: the column is typed number, and the cells that
	// are not numbers are kept as text and reported. A mapping change re-reads the tab.
	e.mapping = compiled(t, overlay(t, costAsNumber))
	e.mustSync()
	c1 := e.store.payload(t, e.rowID("Tasks", "T-1"))["cells"].(map[string]any)
	c3 := e.store.payload(t, e.rowID("Tasks", "T-3"))
	if c1["Cost"] != 100.0 || c3["cells"].(map[string]any)["Cost"] != "n/a" {
		t.Fatalf("Cost = %#v and %#v, want 100 and the text n/a", c1["Cost"], c3["cells"].(map[string]any)["Cost"])
	}
	if !strings.Contains(e.logs.String(), "type_mismatch") || !strings.Contains(e.logs.String(), `value=n/a`) {
		t.Errorf("the cell that does not fit is not reported:\n%s", e.logs)
	}
}

func TestConfiguredTypeWinsOverTheMapping(t *testing.T) {
	e := newEnv(t, `
spreadsheets:
  - id: 1PMOportfolioDEMO
    tabs:
      - {tab: Tasks, entity: work_items, key: Task ID, types: {Cost: text}}
`)
	seedTasks(t, e)
	e.mapping = compiled(t, overlay(t, costAsNumber))
	e.mustSync()
	if c := e.store.payload(t, e.rowID("Tasks", "T-1"))["cells"].(map[string]any); c["Cost"] != "100" {
		t.Fatalf("Cost = %#v, want the configured text \"100\"", c["Cost"])
	}
}

func TestColumnReportAndRestInAttributes(t *testing.T) {
	e := newEnv(t, tasksSettings)
	seedTasks(t, e)
	e.mapping = compiled(t, overlay(t, costAsNumber))
	e.mustSync()
	// The report names the columns the mapping in force reads, and the rest.
	var line string
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, "sheets: tab columns") {
			line = l
		}
	}
	if !strings.Contains(line, `mapped="[Task Status Cost]"`) {
		t.Errorf("column report = %s", line)
	}
	if !strings.Contains(line, "not_mapped=\"[Task ID Risk Owner]\"") {
		t.Errorf("column report = %s", line)
	}
	// The built-in mapping keeps the columns it does not map in attributes.
	rows := mapStored(t, e)
	var attrs map[string]string
	for _, w := range rows["work_items"] {
		if w["key"] == "T-1" {
			attrs = w["attributes"].(map[string]string)
		}
	}
	if attrs["Risk Owner"] != "ana" || attrs["tab"] != "Tasks" {
		t.Fatalf("attributes = %v, want Risk Owner kept", attrs)
	}
	if _, ok := attrs["Status"]; ok {
		t.Errorf("a mapped column is repeated in attributes: %v", attrs)
	}
}
