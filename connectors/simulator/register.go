package simulator

import (
	"fmt"
	"time"

	"github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
)

func date(t time.Time) sheetsfake.Cell { return sheetsfake.D(t.Year(), t.Month(), t.Day()) }

// genRegister writes the PMO's portfolio register: one row per project naming its Jira
// project, repository and Smartsheet plan, and a RAID log.
func (s *Simulation) genRegister(today time.Time) {
	s.at(today.AddDate(0, 0, -2))
	s.Sheets.AddSpreadsheet(RegisterID, "ACME Portfolio Register")
	rows := [][]sheetsfake.Cell{{
		sheetsfake.T("Project ID"), sheetsfake.T("Project"), sheetsfake.T("Programme"), sheetsfake.T("Owner"),
		sheetsfake.T("Status"), sheetsfake.T("Start"), sheetsfake.T("Target Date"), sheetsfake.T("% Complete"),
		sheetsfake.T("Jira Project"), sheetsfake.T("GitHub Repo"), sheetsfake.T("Smartsheet Sheet"),
	}}
	for _, p := range s.Projects {
		plan := sheetsfake.T("")
		if p.PlanSheet != 0 {
			plan = sheetsfake.T(fmt.Sprint(p.PlanSheet))
		}
		rows = append(rows, []sheetsfake.Cell{
			sheetsfake.T(p.ID), sheetsfake.T(p.Name), sheetsfake.T(p.Programme), sheetsfake.T(p.Owner.Name),
			sheetsfake.T(p.Status), date(p.Start), date(p.Target), sheetsfake.Pct(float64(p.Done) / float64(p.Total)),
			sheetsfake.T(p.JiraKey), sheetsfake.T(p.Repo), plan,
		})
	}
	must(s.Sheets.AddTab(RegisterID, "Portfolio", rows))

	raid := [][]sheetsfake.Cell{{
		sheetsfake.T("ID"), sheetsfake.T("Type"), sheetsfake.T("Title"), sheetsfake.T("Project ID"),
		sheetsfake.T("Owner"), sheetsfake.T("Status"), sheetsfake.T("Due"),
	}}
	risks := []struct{ typ, title, status string }{
		{"Risk", "Key supplier may miss the API delivery", "In Progress"},
		{"Issue", "Test environment unavailable two days a week", "In Progress"},
		{"Risk", "Regulator guidance due mid-quarter", "Not Started"},
		{"Dependency", "Identity platform upgrade", "In Progress"},
		{"Assumption", "Budget confirmed for the next two quarters", "Done"},
		{"Risk", "Single engineer knows the ledger code", "Not Started"},
	}
	for i, r := range risks {
		p := s.Projects[(i*3)%len(s.Projects)]
		due := today.AddDate(0, 0, 7*(i-2))
		raid = append(raid, []sheetsfake.Cell{
			sheetsfake.T(fmt.Sprintf("R-%02d", i+1)), sheetsfake.T(r.typ), sheetsfake.T(r.title), sheetsfake.T(p.ID),
			sheetsfake.T(s.People[i%len(s.People)].Name), sheetsfake.T(r.status), date(due),
		})
	}
	must(s.Sheets.AddTab(RegisterID, "RAID Log", raid))
}

func must(err error) {
	if err != nil {
		panic("simulator: " + err.Error())
	}
}
