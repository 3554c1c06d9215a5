package simulator

import (
	"fmt"
	"time"

	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

var planColumns = []ss.Column{
	{Title: "Task Name", Type: ss.TextNumber, Primary: true},
	{Title: "Status", Type: ss.Picklist, Options: []string{"Not Started", "In Progress", "Blocked", "Complete"}},
	{Title: "Assigned To", Type: ss.ContactList},
	{Title: "Start", Type: ss.Date},
	{Title: "Finish", Type: ss.Date},
	{Title: "% Complete", Type: ss.TextNumber, Percent: true},
	{Title: "At Risk", Type: ss.Checkbox},
}

// genPlan writes the project's Smartsheet plan: phases with tasks, owners and dates.
func (s *Simulation) genPlan(p *Project, today time.Time) {
	s.at(p.Start)
	p.PlanSheet = s.Smartsheet.AddSheet(p.Name+" plan", planColumns)
	span := p.Target.Sub(p.Start)
	phases := []string{"Discovery", "Build", "Launch"}
	for i, phase := range phases {
		start := p.Start.Add(span * time.Duration(i) / 3)
		finish := p.Start.Add(span * time.Duration(i+1) / 3)
		status := "Not Started"
		switch {
		case finish.Before(today):
			status = "Complete"
		case start.Before(today):
			status = "In Progress"
		}
		touched := minTime(start, today)
		if status == "In Progress" {
			touched = today.AddDate(0, 0, -1)
		}
		s.at(touched)
		parent, err := s.Smartsheet.AddRow(p.PlanSheet, 0, ss.Cells{"Task Name": fmt.Sprintf("Phase %d: %s", i+1, phase), "Status": status,
			"Start": start.Format("2006-01-02"), "Finish": finish.Format("2006-01-02")})
		must(err)
		for j := 0; j < 4; j++ {
			ts := start.Add(finish.Sub(start) * time.Duration(j) / 4)
			tf := start.Add(finish.Sub(start) * time.Duration(j+1) / 4)
			st, pct := "Not Started", 0.0
			switch {
			case tf.Before(today):
				st, pct = "Complete", 1
			case ts.Before(today):
				st, pct = "In Progress", 0.5
			}
			if p.Profile == Slipping && st == "Complete" && j == 3 {
				st, pct = "Blocked", 0.7
			}
			who := s.person()
			// last touched when the task last moved: its start, its finish, or lately
			touched := ts
			switch {
			case st == "Complete":
				touched = tf
			case st == "In Progress" || st == "Blocked":
				touched = today.AddDate(0, 0, -(1 + s.pick(6)))
			}
			if touched.After(today) {
				touched = today
			}
			s.at(touched)
			_, err := s.Smartsheet.AddRow(p.PlanSheet, parent, ss.Cells{
				"Task Name": fmt.Sprintf("%s task %d", phase, j+1), "Status": st,
				"Assigned To": ss.Contact{Email: who.Email, Name: who.Name},
				"Start":       ts.Format("2006-01-02"), "Finish": tf.Format("2006-01-02"), "% Complete": pct,
				"At Risk": st == "Blocked",
			})
			must(err)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
