package simulator

import (
	"context"
	"fmt"
	"time"

	"github.com/pmohub/pmohub/connectors/github/githubfake"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
	"github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

// Live keeps the organisation moving until ctx ends: every tick some work starts, some
// finishes (its pull request merges), plans progress and the register's % complete moves.
// It returns a log line per change through note (may be nil).
func (s *Simulation) Live(ctx context.Context, every time.Duration, note func(string)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if msg := s.Step(); note != nil && msg != "" {
				note(msg)
			}
		}
	}
}

// Step makes one change somewhere in the organisation and says what it was.
func (s *Simulation) Step() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.Projects[s.pick(len(s.Projects))]
	switch s.pick(5) {
	case 0, 1:
		return s.finishWork(p)
	case 2:
		return s.startWork(p)
	case 3:
		return s.progressPlan(p)
	default:
		return s.newScope(p)
	}
}

func (s *Simulation) issues(p *Project, status string) []jirafake.Issue {
	var out []jirafake.Issue
	for _, is := range s.Jira.Issues() {
		if is.ProjectKey == p.JiraKey && is.StatusID == status && is.Type != "Epic" {
			out = append(out, is)
		}
	}
	return out
}

func (s *Simulation) startWork(p *Project) string {
	todo := s.issues(p, jToDo)
	if len(todo) == 0 {
		return ""
	}
	is := todo[s.pick(len(todo))]
	who := s.person()
	s.Jira.Transition(is.Key, jInProgress, s.jiraUser(who))
	pr := s.GitHub.AddIssue(p.Repo, githubfake.IssueSpec{Title: fmt.Sprintf("%s: %s", is.Key, is.Summary),
		Body: "Closes " + is.Key, Author: who.Login, Pull: true, Head: "feature/" + is.Key, Base: "main", Draft: s.pick(3) == 0})
	s.pulls[is.Key] = pr.Number
	s.PullRequests++
	return fmt.Sprintf("%s started %s and opened a pull request in %s", who.Name, is.Key, p.Repo)
}

func (s *Simulation) finishWork(p *Project) string {
	doing := append(s.issues(p, jInProgress), s.issues(p, jInReview)...)
	if len(doing) == 0 {
		return s.startWork(p)
	}
	is := doing[s.pick(len(doing))]
	if is.StatusID == jInProgress {
		s.Jira.Transition(is.Key, jInReview, nil)
	}
	s.Jira.Transition(is.Key, jDone, nil)
	if n := s.pulls[is.Key]; n != 0 {
		s.GitHub.MergePull(p.Repo, n, s.person().Login)
		delete(s.pulls, is.Key)
	}
	return fmt.Sprintf("%s finished %s", p.Name, is.Key)
}

func (s *Simulation) newScope(p *Project) string {
	sp := float64([]int{1, 2, 3, 5}[s.pick(4)])
	is := s.Jira.CreateIssue(p.JiraKey, jirafake.Issue{Summary: storyTitles[s.pick(len(storyTitles))] + " (follow-up)", Type: "Story",
		Reporter: s.jiraUser(p.Owner), StoryPoints: &sp})
	done := len(s.issues(p, jDone))
	total := done + len(s.issues(p, jToDo)) + len(s.issues(p, jInProgress)) + len(s.issues(p, jInReview))
	_ = s.Sheets.SetCell(RegisterID, "Portfolio", s.registerRow(p), 7, sheetsfake.Pct(float64(done)/float64(max(total, 1))))
	return fmt.Sprintf("%s grew: %s added", p.Name, is.Key)
}

func (s *Simulation) registerRow(p *Project) int {
	for i, q := range s.Projects {
		if q == p {
			return i + 2 // after the header, 1-based
		}
	}
	return 0
}

func (s *Simulation) progressPlan(p *Project) string {
	if p.PlanSheet == 0 {
		return s.finishWork(p)
	}
	ids := s.Smartsheet.RowIDs(p.PlanSheet)
	if len(ids) == 0 {
		return ""
	}
	row := ids[s.pick(len(ids))]
	st := []string{"In Progress", "Complete", "Blocked"}[s.pick(3)]
	if err := s.Smartsheet.UpdateRow(p.PlanSheet, row, ss.Cells{"Status": st}); err != nil {
		return ""
	}
	return fmt.Sprintf("%s plan: a task is now %s", p.Name, st)
}
