// Package simulator is pmohub's living demo organisation: it fills the connectors' fake
// Jira, GitHub, Google Sheets and Smartsheet servers with a believable portfolio (a
// register whose rows name each project's Jira project, repository and plan; six months
// of delivery history; projects that are healthy, slipping or stale) and keeps changing
// it, so scheduled syncs visibly move the dashboard. The same fakes back the connector
// tests, so the demo exercises the real connectors and client libraries end to end.
package simulator

import (
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	stdsync "sync"
	"time"

	"github.com/pmohub/pmohub/connectors/github/githubfake"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
	"github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

// Profile is how a project is doing, which the generated history reflects.
type Profile string

const (
	Healthy  Profile = "healthy"  // steady throughput, target comfortably reachable
	Slipping Profile = "slipping" // too much scope left for its throughput and target
	Stale    Profile = "stale"    // work in progress that nobody has touched for weeks
	LateGate Profile = "late"     // on pace, but a committed milestone is overdue
)

// Project is one portfolio project of the organisation.
type Project struct {
	ID, Name, Programme string
	Owner               Person
	JiraKey             string
	Repo                string // owner/name
	PlanSheet           int64  // Smartsheet plan, 0 for none
	Profile             Profile
	Start, Target       time.Time
	Status              string // the register's human-set status
	Total, Done         int    // Jira scope at generation time
}

// Person works in every tool under the same e-mail, so pmohub matches them.
type Person struct {
	Login, Name, Email string
}

// Credentials the demo's simulators accept.
const (
	JiraEmail       = "pmo@acme.example"
	JiraToken       = "demo-jira-token"
	GitHubToken     = "demo-github-token"
	SheetsAPIKey    = "demo-sheets-key"
	SmartsheetToken = "demo-smartsheet-token"
	RegisterID      = "1PMOportfolioDEMO"
	Org             = "acme"
)

// Simulation is the running organisation.
type Simulation struct {
	Seed     uint64
	Projects []*Project
	People   []Person
	// PullRequests counts the pull requests created, for tests that check what was synced.
	PullRequests int

	Jira       *jirafake.Server
	GitHub     *githubfake.Server
	Sheets     *sheetsfake.Fake
	Smartsheet *ss.Server

	sheetsSrv, smartSrv *httptest.Server

	mu    stdsync.Mutex
	pulls map[string]int // open pull request number by the Jira key it implements
	rng   *rand.Rand
	clock time.Time // the simulated "now" while history is generated; zero afterwards
	now   func() time.Time
}

var people = []Person{
	{"ana", "Ana Lima", "ana.lima@acme.example"}, {"bo", "Bo Chen", "bo.chen@acme.example"},
	{"carla", "Carla Mendes", "carla.mendes@acme.example"}, {"dev", "Dev Patel", "dev.patel@acme.example"},
	{"emeka", "Emeka Obi", "emeka.obi@acme.example"}, {"freya", "Freya Nilsen", "freya.nilsen@acme.example"},
	{"gus", "Gus Romero", "gus.romero@acme.example"}, {"hana", "Hana Sato", "hana.sato@acme.example"},
	{"ivan", "Ivan Petrov", "ivan.petrov@acme.example"}, {"jade", "Jade Moreau", "jade.moreau@acme.example"},
}

type projectSeed struct {
	key, name, programme string
	profile              Profile
	total, done          int
	targetWeeks          int
	plan                 bool
	status               string
}

var portfolio = []projectSeed{
	{"ATLAS", "Atlas Customer Portal", "Digital Experience", Healthy, 44, 32, 18, true, "On Track"},
	{"BOREAL", "Boreal Data Platform", "Data & Analytics", Slipping, 70, 18, 5, true, "On Track"},
	{"CIRRUS", "Cirrus Mobile App", "Digital Experience", Stale, 48, 24, 40, false, "At Risk"},
	{"DELTA", "Delta Payments Migration", "Core Systems", LateGate, 40, 26, 16, true, "At Risk"},
	{"EMBER", "Ember Analytics Suite", "Data & Analytics", Healthy, 36, 27, 18, false, "On Track"},
	{"FJORD", "Fjord Compliance Programme", "Risk & Compliance", Slipping, 55, 20, 7, true, "Off Track"},
	{"GALE", "Gale Onboarding Revamp", "Digital Experience", Healthy, 28, 20, 20, false, "On Track"},
	{"HALO", "Halo Infrastructure Refresh", "Core Systems", Stale, 38, 16, 44, false, "On Track"},
}

// New builds the organisation for seed at time now (nil: time.Now). Nothing listens yet:
// call Start.
func New(seed uint64, now func() time.Time) *Simulation {
	if now == nil {
		now = time.Now
	}
	s := &Simulation{Seed: seed, People: people, pulls: map[string]int{}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: now}
	clock := func() time.Time {
		if !s.clock.IsZero() {
			return s.clock
		}
		return s.now()
	}
	s.Jira = jirafake.New(jirafake.Cloud)
	s.Jira.Email, s.Jira.Token, s.Jira.Now = JiraEmail, JiraToken, clock
	s.GitHub = githubfake.New(GitHubToken)
	s.GitHub.Clock = clock
	s.Sheets = sheetsfake.New(clock)
	s.Sheets.AddAPIKey(SheetsAPIKey)
	s.Smartsheet = ss.New()
	s.Smartsheet.SetClock(clock)
	s.Smartsheet.AddToken(SmartsheetToken, ss.Contact{Email: "pmo@acme.example", Name: "PMO Office"})

	today := s.now().UTC().Truncate(24 * time.Hour)
	s.at(today.AddDate(-1, 0, 0))
	for _, who := range s.People {
		s.GitHub.AddUser(who.Login, who.Name, who.Email)
	}
	for i, p := range portfolio {
		pr := &Project{
			ID: fmt.Sprintf("P-%03d", i+1), Name: p.name, Programme: p.programme, Owner: people[i%len(people)],
			JiraKey: p.key, Repo: Org + "/" + strings.ToLower(p.key), Profile: p.profile,
			Start: today.AddDate(0, 0, -7*26+7*(i%3)), Target: today.AddDate(0, 0, 7*p.targetWeeks),
			Status: p.status, Total: p.total, Done: p.done,
		}
		s.Projects = append(s.Projects, pr)
		s.genJira(pr, today)
		s.genGitHub(pr, today)
		if p.plan {
			s.genPlan(pr, today)
		}
	}
	s.genRegister(today)
	s.clock = time.Time{}
	return s
}

// at sets the simulated clock while history is generated.
func (s *Simulation) at(t time.Time) { s.clock = t }

func (s *Simulation) pick(n int) int { return s.rng.IntN(n) }

func (s *Simulation) person() Person { return s.People[s.pick(len(s.People))] }

// Start serves every simulator on loopback.
func (s *Simulation) Start() {
	s.Jira.Start()
	s.GitHub.Start()
	s.sheetsSrv = s.Sheets.Start()
	s.smartSrv = httptest.NewServer(s.Smartsheet)
}

// Close stops the simulators.
func (s *Simulation) Close() {
	s.Jira.Close()
	s.GitHub.Close()
	if s.sheetsSrv != nil {
		s.sheetsSrv.Close()
	}
	if s.smartSrv != nil {
		s.smartSrv.Close()
	}
}
