// Package githubfake is an in-memory GitHub REST API for tests and the pmohub demo:
// repositories, issues, pull requests, milestones, issue events, users and Projects (v2)
// boards, with Link pagination, ETags and 304s, rate-limit headers, switchable primary and
// secondary limits, the Enterprise Server URL layout, 410 for deleted issues and
// redirects for transferred ones.
package githubfake

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Repo is a repository and everything in it.
type Repo struct {
	ID          int64
	Owner, Name string
	Private     bool // visible only with Server.PrivateToken
	Archived    bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Issues      map[int]*Issue // by number, pull requests included
	Milestones  map[int]*Milestone
	Events      []*Event // in creation order
	nextNumber  int
}

// FullName is owner/name.
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// Issue is an issue or, with Pull set, a pull request.
type Issue struct {
	ID          int64
	Number      int
	Title, Body string
	State       string // open, closed
	StateReason string // completed, not_planned, reopened, duplicate or ""
	Labels      []string
	Assignees   []string
	Author      string
	Milestone   int // milestone number, 0 for none
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    *time.Time
	Pull        *Pull
	Deleted     bool
	// MovedTo is set on a transferred issue: the new repository and number.
	MovedTo       string
	MovedToNumber int
}

// Pull holds the pull-request-only fields.
type Pull struct {
	ID         int64
	Draft      bool
	MergedAt   *time.Time
	Head, Base string
}

// Milestone is a repository milestone.
type Milestone struct {
	ID                 int64
	Number             int
	Title, Description string
	State              string
	DueOn              *time.Time
	Creator            string
	CreatedAt          time.Time
	UpdatedAt          time.Time
	ClosedAt           *time.Time
}

// Event is an issue event (closed, reopened, merged, assigned, …).
type Event struct {
	ID          int64
	Event       string
	Actor       string
	IssueNumber int
	StateReason string
	Assignee    string
	CreatedAt   time.Time
}

// User is a GitHub account.
type User struct {
	ID        int64
	Login     string
	Name      string
	Email     string // public e-mail, "" when hidden
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Project is a Projects (v2) board.
type Project struct {
	ID     int64
	Owner  string
	Number int
	Title  string
	Fields []*ProjectField
	Items  []*ProjectItem
}

// ProjectField is a board field. Options are the single-select options, Iterations
// the iteration titles.
type ProjectField struct {
	ID         int64
	Name       string
	DataType   string // title, text, number, date, single_select, iteration
	Options    []string
	Iterations []string
}

// ProjectItem is an issue or pull request on a board with its field values by name.
type ProjectItem struct {
	ID        int64
	Repo      string
	Number    int
	Values    map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
	Archived  bool
}

// data is the whole model; the Server's methods guard it with mu.
type data struct {
	mu       sync.RWMutex     // answers read under RLock, changes take Lock
	repos    map[string]*Repo // by lower-case full name
	users    map[string]*User
	projects map[string]*Project // by "owner/number"
	nextID   int64
	// cache of listing orders, dropped on every change
	gen     int
	cacheMu sync.Mutex
	caches  map[*Repo]*cachedList
}

func key(s string) string { return strings.ToLower(s) }

// AddRepo creates a repository.
func (s *Server) AddRepo(fullName string, private bool) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, n, _ := strings.Cut(fullName, "/")
	t := s.now()
	r := &Repo{ID: s.id(), Owner: o, Name: n, Private: private, CreatedAt: t, UpdatedAt: t,
		Issues: map[int]*Issue{}, Milestones: map[int]*Milestone{}}
	s.repos[key(fullName)] = r
	s.ensureUser(o)
	s.gen++
	return r
}

// SetArchived archives or unarchives a repository.
func (s *Server) SetArchived(fullName string, archived bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.repos[key(fullName)]; r != nil {
		r.Archived = archived
		r.UpdatedAt = s.now()
		s.gen++
	}
}

// AddUser creates or updates an account.
func (s *Server) AddUser(login, name, email string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.ensureUser(login)
	u.Name, u.Email, u.UpdatedAt = name, email, s.now()
	return u
}

func (s *Server) ensureUser(login string) *User {
	if login == "" {
		return nil
	}
	u := s.users[key(login)]
	if u == nil {
		t := s.now()
		u = &User{ID: s.id(), Login: login, CreatedAt: t, UpdatedAt: t}
		s.users[key(login)] = u
	}
	return u
}

func (s *Server) id() int64 { s.nextID++; return s.nextID }

// IssueSpec describes a new issue or pull request.
type IssueSpec struct {
	Title, Body string
	Author      string
	Labels      []string
	Assignees   []string
	Milestone   int
	// Pull request fields: set Pull to create one.
	Pull  bool
	Draft bool
	Head  string
	Base  string
}

// AddIssue creates an issue (or pull request) and returns it.
func (s *Server) AddIssue(repo string, spec IssueSpec) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	t := s.now()
	r.nextNumber++
	is := &Issue{ID: s.id(), Number: r.nextNumber, Title: spec.Title, Body: spec.Body, State: "open",
		Labels: slices.Clone(spec.Labels), Assignees: slices.Clone(spec.Assignees), Author: spec.Author,
		Milestone: spec.Milestone, CreatedAt: t, UpdatedAt: t}
	if is.Author == "" {
		is.Author = "octocat"
	}
	s.ensureUser(is.Author)
	for _, a := range is.Assignees {
		s.ensureUser(a)
	}
	if spec.Pull {
		head, base := spec.Head, spec.Base
		if head == "" {
			head = fmt.Sprintf("feature-%d", is.Number)
		}
		if base == "" {
			base = "main"
		}
		is.Pull = &Pull{ID: s.id(), Draft: spec.Draft, Head: head, Base: base}
	}
	r.Issues[is.Number] = is
	for _, a := range is.Assignees {
		s.event(r, is, "assigned", is.Author, func(e *Event) { e.Assignee = a })
	}
	s.gen++
	return is
}

// UpdateIssue applies fn to an issue and bumps its updated_at.
func (s *Server) UpdateIssue(repo string, number int, fn func(*Issue)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue(repo, number)
	fn(is)
	is.UpdatedAt = s.now()
	s.gen++
}

// Assign sets the assignees and records an assigned event for each new one.
func (s *Server) Assign(repo string, number int, actor string, logins ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is := s.mustRepo(repo), s.mustIssue(repo, number)
	for _, l := range logins {
		s.ensureUser(l)
		if !slices.Contains(is.Assignees, l) {
			is.Assignees = append(is.Assignees, l)
			s.event(r, is, "assigned", actor, func(e *Event) { e.Assignee = l })
		}
	}
	is.UpdatedAt = s.now()
	s.gen++
}

// CloseIssue closes an issue with a state_reason (completed, not_planned) and records the event.
func (s *Server) CloseIssue(repo string, number int, actor, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is := s.mustRepo(repo), s.mustIssue(repo, number)
	t := s.now()
	is.State, is.ClosedAt, is.UpdatedAt = "closed", &t, t
	if is.Pull == nil {
		if reason == "" {
			reason = "completed"
		}
		is.StateReason = reason
	}
	s.event(r, is, "closed", actor, func(e *Event) { e.StateReason = is.StateReason })
	s.gen++
}

// ReopenIssue reopens an issue.
func (s *Server) ReopenIssue(repo string, number int, actor string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is := s.mustRepo(repo), s.mustIssue(repo, number)
	is.State, is.ClosedAt, is.UpdatedAt = "open", nil, s.now()
	if is.Pull == nil {
		is.StateReason = "reopened"
	}
	s.event(r, is, "reopened", actor, func(e *Event) { e.StateReason = is.StateReason })
	s.gen++
}

// MergePull merges a pull request: merged then closed events, as GitHub records them.
func (s *Server) MergePull(repo string, number int, actor string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is := s.mustRepo(repo), s.mustIssue(repo, number)
	if is.Pull == nil {
		panic("githubfake: merge of an issue")
	}
	t := s.now()
	is.Pull.MergedAt, is.Pull.Draft = &t, false
	is.State, is.ClosedAt, is.UpdatedAt = "closed", &t, t
	s.event(r, is, "merged", actor, nil)
	s.event(r, is, "closed", actor, nil)
	s.gen++
}

// DeleteIssue deletes an issue: it leaves the listings and answers 410.
func (s *Server) DeleteIssue(repo string, number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustIssue(repo, number).Deleted = true
	s.gen++
}

// TransferIssue moves an issue to another repository: it keeps its id, gets a new number there,
// and its old URL redirects.
func (s *Server) TransferIssue(repo string, number int, to string) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, dst := s.mustIssue(repo, number), s.mustRepo(to)
	dst.nextNumber++
	moved := *old
	moved.Number, moved.UpdatedAt, moved.Milestone = dst.nextNumber, s.now(), 0
	dst.Issues[moved.Number] = &moved
	old.Deleted, old.MovedTo, old.MovedToNumber = true, dst.FullName(), moved.Number
	s.gen++
	return &moved
}

// AddMilestone creates a milestone.
func (s *Server) AddMilestone(repo, title string, due *time.Time) *Milestone {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	t := s.now()
	m := &Milestone{ID: s.id(), Number: len(r.Milestones) + 1, Title: title, State: "open", DueOn: due,
		Creator: r.Owner, CreatedAt: t, UpdatedAt: t}
	r.Milestones[m.Number] = m
	s.gen++
	return m
}

// UpdateMilestone applies fn and bumps updated_at.
func (s *Server) UpdateMilestone(repo string, number int, fn func(*Milestone)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustRepo(repo).Milestones[number]
	fn(m)
	m.UpdatedAt = s.now()
	s.gen++
}

// DeleteMilestone removes a milestone.
func (s *Server) DeleteMilestone(repo string, number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mustRepo(repo).Milestones, number)
	s.gen++
}

// AddProject creates a board with a Status single-select and an Iteration field.
func (s *Server) AddProject(owner string, number int, title string) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Project{ID: s.id(), Owner: owner, Number: number, Title: title}
	p.Fields = []*ProjectField{
		{ID: s.id(), Name: "Title", DataType: "title"},
		{ID: s.id(), Name: "Status", DataType: "single_select", Options: []string{"Todo", "In Progress", "Done"}},
		{ID: s.id(), Name: "Iteration", DataType: "iteration", Iterations: []string{"Iteration 1", "Iteration 2"}},
		{ID: s.id(), Name: "Estimate", DataType: "number"},
	}
	s.projects[fmt.Sprintf("%s/%d", key(owner), number)] = p
	s.gen++
	return p
}

// AddProjectField adds a single-select field with options to a board.
func (s *Server) AddProjectField(owner string, number int, name string, options ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[fmt.Sprintf("%s/%d", key(owner), number)]
	p.Fields = append(p.Fields, &ProjectField{ID: s.id(), Name: name, DataType: "single_select", Options: options})
	s.gen++
}

// AddProjectItem puts an issue on a board with field values by field name.
func (s *Server) AddProjectItem(owner string, number int, repo string, issue int, values map[string]string) *ProjectItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[fmt.Sprintf("%s/%d", key(owner), number)]
	t := s.now()
	it := &ProjectItem{ID: s.id(), Repo: repo, Number: issue, Values: values, CreatedAt: t, UpdatedAt: t}
	p.Items = append(p.Items, it)
	s.gen++
	return it
}

// SetProjectValue sets one field value of a board item.
func (s *Server) SetProjectValue(owner string, number int, itemID int64, field, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[fmt.Sprintf("%s/%d", key(owner), number)]
	for _, it := range p.Items {
		if it.ID == itemID {
			if it.Values == nil {
				it.Values = map[string]string{}
			}
			it.Values[field] = value
			it.UpdatedAt = s.now()
		}
	}
	s.gen++
}

// RemoveProjectItem takes an item off a board: it leaves the board's item list.
func (s *Server) RemoveProjectItem(owner string, number int, itemID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[fmt.Sprintf("%s/%d", key(owner), number)]
	p.Items = slices.DeleteFunc(p.Items, func(it *ProjectItem) bool { return it.ID == itemID })
	s.gen++
}

// ArchiveProjectItem archives a board item: archived items are not listed.
func (s *Server) ArchiveProjectItem(owner string, number int, itemID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[fmt.Sprintf("%s/%d", key(owner), number)]
	for _, it := range p.Items {
		if it.ID == itemID {
			it.Archived, it.UpdatedAt = true, s.now()
		}
	}
	s.gen++
}

func (s *Server) event(r *Repo, is *Issue, kind, actor string, fn func(*Event)) {
	e := &Event{ID: s.id(), Event: kind, Actor: actor, IssueNumber: is.Number, CreatedAt: s.now()}
	if fn != nil {
		fn(e)
	}
	s.ensureUser(actor)
	r.Events = append(r.Events, e)
}

func (s *Server) mustRepo(name string) *Repo {
	r := s.repos[key(name)]
	if r == nil {
		panic("githubfake: no repository " + name)
	}
	return r
}

func (s *Server) mustIssue(repo string, number int) *Issue {
	is := s.mustRepo(repo).Issues[number]
	if is == nil {
		panic(fmt.Sprintf("githubfake: no issue %s#%d", repo, number))
	}
	return is
}
