package simulator

import (
	"fmt"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

// genGitHub gives the project a repository whose pull requests implement its Jira issues
// (their titles and branches name the keys) and milestones the team plans against.
func (s *Simulation) genGitHub(p *Project, today time.Time) {
	s.at(p.Start)
	s.GitHub.AddRepo(p.Repo, false)
	beta := p.Target.AddDate(0, 0, -28)
	ms := s.GitHub.AddMilestone(p.Repo, "Beta", &beta)
	ga := p.Target
	s.GitHub.AddMilestone(p.Repo, "General availability", &ga)
	if p.Profile == LateGate {
		late := today.AddDate(0, 0, -10)
		s.GitHub.AddMilestone(p.Repo, "Security sign-off", &late)
	}
	issues := s.Jira.Issues()
	n := 0
	for _, is := range issues {
		if is.ProjectKey != p.JiraKey || is.Type == "Epic" || is.StatusID == jToDo || n >= 18 {
			continue
		}
		n++
		author := s.person()
		started := is.Created
		if len(is.Changelog) > 0 {
			started = is.Changelog[0].Created
		}
		s.at(started.Add(3 * time.Hour))
		slug := strings.ToLower(strings.Fields(is.Summary)[0])
		pr := s.GitHub.AddIssue(p.Repo, githubfake.IssueSpec{
			Title:  fmt.Sprintf("%s: %s", is.Key, is.Summary),
			Body:   fmt.Sprintf("Implements %s.\n\nCloses %s", is.Key, is.Key),
			Author: author.Login, Pull: true, Head: fmt.Sprintf("feature/%s-%s", is.Key, slug), Base: "main",
			Labels: []string{[]string{"enhancement", "bug", "feature"}[s.pick(3)]}, Milestone: ms.Number,
		})
		s.PullRequests++
		if is.StatusID == jDone && is.ResolutionDate != nil {
			s.at(is.ResolutionDate.Add(-2 * time.Hour))
			s.GitHub.MergePull(p.Repo, pr.Number, s.person().Login)
		} else {
			s.pulls[is.Key] = pr.Number
		}
	}
	// a few plain issues: bugs reported by users, some fixed
	for i := 0; i < 4; i++ {
		s.at(today.AddDate(0, 0, -(5 + s.pick(60))))
		bug := s.GitHub.AddIssue(p.Repo, githubfake.IssueSpec{
			Title:  []string{"Crash when the session expires", "Typo on the billing page", "Slow search on large accounts", "Outage: login page 500"}[i],
			Author: s.person().Login, Labels: []string{[]string{"bug", "bug", "enhancement", "incident"}[i]},
		})
		if i%2 == 0 {
			s.at(s.clock.Add(72 * time.Hour))
			s.GitHub.CloseIssue(p.Repo, bug.Number, s.person().Login, "completed")
		}
	}
}
