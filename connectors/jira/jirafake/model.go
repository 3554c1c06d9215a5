// Package jirafake is an in-memory Jira (Cloud or Data Center) that speaks the REST API
// shapes pmohub's Jira connector reads: enhanced JQL search with opaque page tokens, 410 on
// the removed search endpoints (Cloud), startAt paging (Data Center), truncated embedded
// changelogs, Agile boards and sprints, field metadata, rate limiting and Jira's error
// bodies. Tests and the demo simulator drive it through the exported methods.
package jirafake

import (
	"fmt"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Deployment selects which Jira the fake pretends to be.
type Deployment string

const (
	Cloud      Deployment = "Cloud"
	DataCenter Deployment = "Server" // serverInfo.deploymentType of Server and Data Center
)

// Custom field ids the fake's site uses; real sites differ, which is why the connector
// resolves them from /field metadata.
const (
	FieldStoryPoints = "customfield_10016"
	FieldSprint      = "customfield_10020"
	FieldEpicLink    = "customfield_10014"
	FieldTeam        = "customfield_10001"
)

// User is a Jira user. Cloud users are identified by AccountID, Data Center users by Name.
type User struct {
	AccountID   string
	Name        string
	DisplayName string
	Email       string // empty when the user hides it
	TimeZone    string
}

// Status is a workflow status and its category (new, indeterminate, done).
type Status struct {
	ID       string
	Name     string
	Category string
}

// IssueType is an issue type with its hierarchy level (1 epic, 0 standard, -1 sub-task).
type IssueType struct {
	ID             string
	Name           string
	HierarchyLevel int
}

// Project is a Jira project.
type Project struct {
	ID   string
	Key  string
	Name string
	Lead *User
	next int // next issue number
}

// Sprint is an Agile sprint.
type Sprint struct {
	ID        int
	BoardID   int
	Name      string
	State     string // future, active, closed
	Goal      string
	StartDate time.Time
	EndDate   time.Time
}

// Board is an Agile board of one project.
type Board struct {
	ID         int
	Name       string
	Type       string // scrum or kanban
	ProjectKey string
}

// ChangeItem is one changed field of a history entry.
type ChangeItem struct {
	Field, FieldID   string
	From, FromString string
	To, ToString     string
}

// History is one changelog entry.
type History struct {
	ID      string
	Author  *User
	Created time.Time
	Items   []ChangeItem
}

// Issue is a Jira issue.
type Issue struct {
	ID             int
	Key            string
	ProjectKey     string
	Summary        string
	Description    string
	Type           string // IssueType name
	StatusID       string
	Priority       string
	Assignee       *User
	Reporter       *User
	Created        time.Time
	Updated        time.Time
	Resolution     string
	ResolutionDate *time.Time
	DueDate        string // yyyy-mm-dd
	Labels         []string
	Components     []string
	ParentKey      string
	SprintIDs      []int
	StoryPoints    *float64
	Team           string
	Changelog      []History
}

// Server is the fake Jira. All methods are safe for concurrent use.
type Server struct {
	mu sync.Mutex

	Deployment Deployment
	// Email and Token are the Cloud Basic credentials; DC uses Token as the PAT.
	Email, Token string
	// Me is the authenticated user; JQL dates are read in Me.TimeZone.
	Me *User
	// EmbedLimit caps the changelog histories embedded in search results.
	EmbedLimit int
	// EpicLinkOnly makes the site an old one: parents of stories come through the
	// Epic Link field, not `parent`.
	EpicLinkOnly bool
	// Now is the fake's clock for changes it makes.
	Now func() time.Time

	issues   map[int]*Issue
	byKey    map[string]*Issue
	projects map[string]*Project
	statuses []Status
	types    []IssueType
	boards   []Board
	sprints  []Sprint
	nextID   int
	nextHist int
	version  int // bumps on every change, invalidates cached query results

	tokens   map[string]pageToken
	tokenSeq int
	cache    map[string][]*Issue
	cacheVer int

	throttle    int // answer the next N requests with 429
	retryAfter  int
	throttle503 bool
	fault       Fault
	faultN      int

	log     []Request
	lastJQL string

	locName  string
	locCache *time.Location

	// HTTP is set by Start.
	HTTP *httptest.Server
}

// Fault is a misbehaviour the fake can put on.
type Fault int

const (
	NoFault       Fault = iota
	FaultHTML           // a login page instead of JSON
	FaultTruncate       // a JSON body cut off in the middle
)

// Request is one logged request.
type Request struct {
	Method string
	Path   string
	Query  string
	JQL    string // the JQL of a search, from the query or the body
	Status int
}

// New builds a fake with standard statuses, issue types and a user; add projects and
// issues before or after Start.
func New(d Deployment) *Server {
	s := &Server{
		Deployment: d,
		Email:      "pmo@acme.com",
		Token:      "s3cret-token-123",
		Me:         &User{AccountID: "5b10a2844c20165700ede21g", Name: "pmo", DisplayName: "PMO Bot", Email: "pmo@acme.com", TimeZone: "Europe/Berlin"},
		EmbedLimit: 40,
		Now:        time.Now,
		issues:     map[int]*Issue{},
		byKey:      map[string]*Issue{},
		projects:   map[string]*Project{},
		nextID:     10000,
		nextHist:   20000,
		tokens:     map[string]pageToken{},
		cache:      map[string][]*Issue{},
		statuses: []Status{
			{"1", "To Do", "new"}, {"2", "Backlog", "new"},
			{"3", "In Progress", "indeterminate"}, {"4", "In Review", "indeterminate"},
			{"5", "Done", "done"}, {"6", "Closed", "done"},
		},
		types: []IssueType{
			{"10000", "Epic", 1}, {"10001", "Story", 0}, {"10002", "Task", 0},
			{"10003", "Bug", 0}, {"10004", "Sub-task", -1}, {"10005", "Incident", 0},
		},
	}
	return s
}

// Start serves the fake on a loopback listener; Close stops it.
func (s *Server) Start() *Server {
	s.HTTP = httptest.NewServer(s)
	return s
}

// URL is the site root.
func (s *Server) URL() string { return s.HTTP.URL }

// Close stops the listener.
func (s *Server) Close() {
	if s.HTTP != nil {
		s.HTTP.Close()
	}
}

func (s *Server) changed() { s.version++ }

// AddProject adds a project (and a scrum board for it).
func (s *Server) AddProject(key, name string) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Project{ID: strconv.Itoa(10000 + len(s.projects)), Key: key, Name: name, Lead: s.Me}
	s.projects[key] = p
	s.boards = append(s.boards, Board{ID: len(s.boards) + 1, Name: key + " board", Type: "scrum", ProjectKey: key})
	s.changed()
	return p
}

// AddSprint adds a sprint to the first board of a project.
func (s *Server) AddSprint(projectKey, name, state string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.boards {
		if b.ProjectKey == projectKey {
			id := len(s.sprints) + 1
			start := s.Now().Add(-14 * 24 * time.Hour)
			s.sprints = append(s.sprints, Sprint{ID: id, BoardID: b.ID, Name: name, State: state, StartDate: start, EndDate: start.Add(14 * 24 * time.Hour)})
			s.changed()
			return id
		}
	}
	panic("jirafake: no board for project " + projectKey)
}

// AddBoard adds a board (kanban boards have no sprints).
func (s *Server) AddBoard(projectKey, name, typ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.boards = append(s.boards, Board{ID: len(s.boards) + 1, Name: name, Type: typ, ProjectKey: projectKey})
}

// CreateIssue adds an issue to a project; zero fields get defaults (Task, To Do, now).
func (s *Server) CreateIssue(projectKey string, is Issue) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[projectKey]
	if p == nil {
		panic("jirafake: no project " + projectKey)
	}
	p.next++
	s.nextID++
	is.ID = s.nextID
	is.Key = fmt.Sprintf("%s-%d", projectKey, p.next)
	is.ProjectKey = projectKey
	now := s.Now()
	if is.Created.IsZero() {
		is.Created = now
	}
	if is.Updated.IsZero() {
		is.Updated = is.Created
	}
	if is.Type == "" {
		is.Type = "Task"
	}
	if is.StatusID == "" {
		is.StatusID = "1"
	}
	if is.Priority == "" {
		is.Priority = "Medium"
	}
	if is.Reporter == nil {
		is.Reporter = s.Me
	}
	for i := range is.Changelog {
		if is.Changelog[i].ID == "" {
			s.nextHist++
			is.Changelog[i].ID = strconv.Itoa(s.nextHist)
		}
	}
	c := is
	s.issues[c.ID] = &c
	s.byKey[c.Key] = &c
	s.changed()
	return &c
}

// Issue returns a copy of an issue by key (nil when absent).
func (s *Server) Issue(key string) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.byKey[key]
	if is == nil {
		return nil
	}
	c := *is
	return &c
}

// Issues returns copies of all issues, by id.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, 0, len(s.issues))
	for _, is := range s.issues {
		out = append(out, *is)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// UpdateIssue changes an issue and bumps its updated time.
func (s *Server) UpdateIssue(key string, fn func(*Issue)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustKey(key)
	fn(is)
	is.Updated = s.Now()
	s.changed()
}

// Transition moves an issue to a status, recording the change in its changelog and
// setting or clearing the resolution like a workflow would.
func (s *Server) Transition(key, statusID string, by *User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustKey(key)
	from, to := s.status(is.StatusID), s.status(statusID)
	now := s.Now()
	s.nextHist++
	is.Changelog = append(is.Changelog, History{ID: strconv.Itoa(s.nextHist), Author: by, Created: now,
		Items: []ChangeItem{{Field: "status", FieldID: "status", From: from.ID, FromString: from.Name, To: to.ID, ToString: to.Name}}})
	is.StatusID = statusID
	if to.Category == "done" {
		if is.Resolution == "" {
			is.Resolution = "Done"
		}
		t := now
		is.ResolutionDate = &t
	} else {
		is.Resolution, is.ResolutionDate = "", nil
	}
	is.Updated = now
	s.changed()
}

// MoveIssue moves an issue to another project: it keeps its id and gets a new key.
func (s *Server) MoveIssue(key, projectKey string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustKey(key)
	p := s.projects[projectKey]
	p.next++
	newKey := fmt.Sprintf("%s-%d", projectKey, p.next)
	s.nextHist++
	now := s.Now()
	is.Changelog = append(is.Changelog, History{ID: strconv.Itoa(s.nextHist), Author: s.Me, Created: now, Items: []ChangeItem{
		{Field: "Key", FieldID: "issuekey", FromString: is.Key, ToString: newKey},
		{Field: "project", FieldID: "project", From: s.projects[is.ProjectKey].ID, FromString: s.projects[is.ProjectKey].Name, To: p.ID, ToString: p.Name},
	}})
	delete(s.byKey, is.Key)
	is.Key, is.ProjectKey, is.Updated = newKey, projectKey, now
	s.byKey[newKey] = is
	s.changed()
	return newKey
}

// DeleteIssue removes an issue; Jira keeps no tombstone.
func (s *Server) DeleteIssue(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustKey(key)
	delete(s.byKey, key)
	delete(s.issues, is.ID)
	s.changed()
}

// Throttle answers the next n requests with 429 (or 503 when unavailable is set) and
// Retry-After: retryAfter seconds.
func (s *Server) Throttle(n, retryAfter int, unavailable bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle, s.retryAfter, s.throttle503 = n, retryAfter, unavailable
}

// SetFault makes the next n requests misbehave (n < 0: until cleared).
func (s *Server) SetFault(f Fault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.faultN = f, n
}

// Requests returns the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// CountRequests counts logged requests whose path contains sub.
func (s *Server) CountRequests(sub string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.Contains(r.Path, sub) {
			n++
		}
	}
	return n
}

func (s *Server) mustKey(key string) *Issue {
	is := s.byKey[key]
	if is == nil {
		panic("jirafake: no issue " + key)
	}
	return is
}

func (s *Server) status(id string) Status {
	for _, st := range s.statuses {
		if st.ID == id {
			return st
		}
	}
	return Status{ID: id, Name: "Unknown", Category: "undefined"}
}

func (s *Server) issueType(name string) IssueType {
	for _, t := range s.types {
		if t.Name == name {
			return t
		}
	}
	return IssueType{ID: "0", Name: name}
}

func (s *Server) sprint(id int) *Sprint {
	for i := range s.sprints {
		if s.sprints[i].ID == id {
			return &s.sprints[i]
		}
	}
	return nil
}
