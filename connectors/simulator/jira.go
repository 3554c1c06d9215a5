package simulator

import (
	"time"

	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

// Jira statuses of the fake's workflow.
const (
	jToDo       = "1"
	jInProgress = "3"
	jInReview   = "4"
	jDone       = "5"
)

var statusNames = map[string]string{jToDo: "To Do", jInProgress: "In Progress", jInReview: "In Review", jDone: "Done"}

var storyTitles = []string{
	"Sign-in with single sign-on", "Export the monthly report as PDF", "Audit trail for approvals",
	"Retry failed payment webhooks", "Dashboard loads in under a second", "Archive closed cases",
	"Bulk edit of customer records", "Consent banner for EU visitors", "Search by reference number",
	"Notify owners of overdue tasks", "Migrate ledger to the new schema", "Role-based access for auditors",
	"Rate-limit the public API", "Nightly reconciliation job", "Accessible colour palette",
	"Onboarding checklist for new users", "Cache product catalogue", "Alert on failed backups",
}

func (s *Simulation) jiraUser(p Person) *jirafake.User {
	return &jirafake.User{AccountID: "acc-" + p.Login, Name: p.Login, DisplayName: p.Name, Email: p.Email, TimeZone: "Europe/London"}
}

// history records a status change in an issue's changelog.
func history(is *jirafake.Issue, by *jirafake.User, at time.Time, from, to string) {
	is.Changelog = append(is.Changelog, jirafake.History{Author: by, Created: at, Items: []jirafake.ChangeItem{{
		Field: "status", FieldID: "status", From: from, FromString: statusNames[from], To: to, ToString: statusNames[to],
	}}})
	is.StatusID = to
	is.Updated = at
}

// genJira fills the project's Jira project with epics and six months of delivery history
// shaped by the project's profile.
func (s *Simulation) genJira(p *Project, today time.Time) {
	s.Jira.AddProject(p.JiraKey, p.Name)
	sprint := s.Jira.AddSprint(p.JiraKey, p.JiraKey+" Sprint 14", "active")
	var epics []string
	for i, name := range []string{"Foundations", "Core journeys", "Launch readiness"} {
		ep := s.Jira.CreateIssue(p.JiraKey, jirafake.Issue{Summary: p.Name + ": " + name, Type: "Epic", StatusID: jInProgress,
			Created: p.Start.AddDate(0, 0, i*7), Updated: today.AddDate(0, 0, -s.pick(5)).Add(10 * time.Hour),
			Reporter: s.jiraUser(p.Owner), Assignee: s.jiraUser(p.Owner), Priority: "High"})
		epics = append(epics, ep.Key)
	}
	open := p.Total - p.Done
	wip := open / 3
	for i := 0; i < p.Total; i++ {
		who := s.jiraUser(s.person())
		typ := []string{"Story", "Story", "Task", "Bug", "Story"}[s.pick(5)]
		sp := float64([]int{1, 2, 3, 5, 8}[s.pick(5)])
		is := jirafake.Issue{
			Summary: storyTitles[s.pick(len(storyTitles))],
			Type:    typ, Priority: []string{"Medium", "High", "Low", "Medium"}[s.pick(4)],
			Reporter: s.jiraUser(p.Owner), Assignee: who, StoryPoints: &sp, ParentKey: epics[i%len(epics)],
			Labels: []string{[]string{"backend", "frontend", "platform", "ux"}[s.pick(4)]},
		}
		switch {
		case i < p.Done:
			// finished: spread over the last 24 weeks, the slipping ones mostly long ago
			age := s.pick(24 * 7)
			switch {
			case p.Profile == Slipping && s.pick(3) > 0:
				age = 12*7 + s.pick(12*7)
			case p.Profile == Healthy && s.pick(3) > 0:
				age = 1 + s.pick(11*7) // a team in its stride: most of it recent
			}
			done := today.AddDate(0, 0, -age).Add(time.Duration(9+s.pick(8)) * time.Hour)
			cycle := time.Duration(2+s.pick(12)) * 24 * time.Hour
			started := done.Add(-cycle)
			created := started.Add(-time.Duration(1+s.pick(20)) * 24 * time.Hour)
			is.Created, is.StatusID = created, jToDo
			history(&is, who, started, jToDo, jInProgress)
			history(&is, who, done.Add(-cycle/3), jInProgress, jInReview)
			history(&is, who, done, jInReview, jDone)
			is.Resolution, is.ResolutionDate = "Done", &done
			if s.pick(12) == 0 {
				is.Resolution = "Won't Do"
			}
		case i < p.Done+wip:
			started := today.AddDate(0, 0, -(1 + s.pick(12))).Add(time.Duration(9+s.pick(8)) * time.Hour)
			is.Created, is.StatusID = started.AddDate(0, 0, -(2+s.pick(30))), jToDo
			history(&is, who, started, jToDo, jInProgress)
			if p.Profile == Stale && s.pick(2) == 0 {
				// touched long ago and left alone
				old := today.AddDate(0, 0, -(20 + s.pick(25)))
				is.Changelog[len(is.Changelog)-1].Created = old
				is.Updated = old
			}
			is.SprintIDs = []int{sprint}
		default:
			is.Created, is.StatusID = today.AddDate(0, 0, -(1+s.pick(90))).Add(time.Duration(9+s.pick(8))*time.Hour), jToDo
		}
		if is.Updated.IsZero() {
			is.Updated = is.Created
		}
		if s.pick(5) == 0 {
			is.DueDate = p.Target.AddDate(0, 0, -7*s.pick(6)).Format("2006-01-02")
		}
		s.at(is.Updated)
		s.Jira.CreateIssue(p.JiraKey, is)
	}
}
