package simulator

import (
	"fmt"
	"strings"
)

// Config returns a ready pmohub.yaml for the organisation, pointing at the running
// simulators. It is meant to be copied: each source says how to point it at the real tool.
func (s *Simulation) Config(schedule, listen string) string {
	var keys, repos, plans []string
	for _, p := range s.Projects {
		keys = append(keys, p.JiraKey)
		repos = append(repos, p.Repo)
		if p.PlanSheet != 0 {
			plans = append(plans, fmt.Sprintf("      - {id: %d, entity: work_items, project: %s}   # %s", p.PlanSheet, p.ID, p.Name))
		}
	}
	return fmt.Sprintf(`# pmohub.yaml for the simulated ACME organisation (pmohub demo --seed %d).
# Every source below talks to a local simulator. To use your own tools, keep the layout and
# change url and auth: secrets belong in the environment, e.g. token: "${JIRA_TOKEN}".
tenant: acme
warehouse:
  url: embedded://./data/warehouse
  database: pmo
serve:
  listen: %s
sources:
  - name: jira
    kind: jira
    url: %s                      # real: https://<site>.atlassian.net
    auth: {email: %s, token: %s}   # real: {email: you@org, token: "${JIRA_TOKEN}"}
    projects: [%s]
    schedule: %s
  - name: github
    kind: github
    url: %s                      # real: https://api.github.com/
    auth: {token: %s}            # real: {token: "${GITHUB_TOKEN}"}
    repos: [%s]
    schedule: %s
  - name: portfolio
    kind: sheets
    url: %s                      # real: leave out (Google's API)
    auth: {api_key: %s}          # real: {credentials_file: /etc/pmohub/sa.json}
    spreadsheets:
      - id: %s
        tabs:
          - {tab: Portfolio, entity: projects, key: Project ID}
          - {tab: RAID Log, entity: work_items, key: ID}
    schedule: %s
  - name: plans
    kind: smartsheet
    url: %s                      # real: https://api.smartsheet.com/2.0
    auth: {token: %s}            # real: {token: "${SMARTSHEET_TOKEN}"}
    sheets:
%s
    schedule: %s
`, s.Seed, listen,
		s.Jira.URL(), JiraEmail, JiraToken, strings.Join(keys, ", "), schedule,
		s.GitHub.URL(), GitHubToken, strings.Join(repos, ", "), schedule,
		s.sheetsSrv.URL+"/", SheetsAPIKey, RegisterID, schedule,
		s.smartSrv.URL+"/2.0", SmartsheetToken, strings.Join(plans, "\n"), schedule)
}
