package githubfake

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// The JSON shapes below follow GitHub's REST answers (checked against
// shared/fixtures/github by the package tests): same keys, same nesting.

type jUser struct {
	Login             string `json:"login"`
	ID                int64  `json:"id"`
	NodeID            string `json:"node_id"`
	AvatarURL         string `json:"avatar_url"`
	GravatarID        string `json:"gravatar_id"`
	URL               string `json:"url"`
	HTMLURL           string `json:"html_url"`
	FollowersURL      string `json:"followers_url"`
	FollowingURL      string `json:"following_url"`
	GistsURL          string `json:"gists_url"`
	StarredURL        string `json:"starred_url"`
	SubscriptionsURL  string `json:"subscriptions_url"`
	OrganizationsURL  string `json:"organizations_url"`
	ReposURL          string `json:"repos_url"`
	EventsURL         string `json:"events_url"`
	ReceivedEventsURL string `json:"received_events_url"`
	Type              string `json:"type"`
	SiteAdmin         bool   `json:"site_admin"`
}

// jUserFull is GET /users/{login}.
type jUserFull struct {
	jUser
	Name      *string `json:"name"`
	Company   *string `json:"company"`
	Blog      string  `json:"blog"`
	Location  *string `json:"location"`
	Email     *string `json:"email"`
	Hireable  *bool   `json:"hireable"`
	Bio       *string `json:"bio"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

type jLabel struct {
	ID          int64   `json:"id"`
	NodeID      string  `json:"node_id"`
	URL         string  `json:"url"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Color       string  `json:"color"`
	Default     bool    `json:"default"`
}

type jMilestone struct {
	URL          string  `json:"url"`
	HTMLURL      string  `json:"html_url"`
	LabelsURL    string  `json:"labels_url"`
	ID           int64   `json:"id"`
	NodeID       string  `json:"node_id"`
	Number       int     `json:"number"`
	State        string  `json:"state"`
	Title        string  `json:"title"`
	Description  *string `json:"description"`
	Creator      *jUser  `json:"creator"`
	OpenIssues   int     `json:"open_issues"`
	ClosedIssues int     `json:"closed_issues"`
	CreatedAt    string  `json:"created_at"`
	UpdatedAt    string  `json:"updated_at"`
	ClosedAt     *string `json:"closed_at"`
	DueOn        *string `json:"due_on"`
}

type jPRLinks struct {
	URL      string  `json:"url"`
	HTMLURL  string  `json:"html_url"`
	DiffURL  string  `json:"diff_url"`
	PatchURL string  `json:"patch_url"`
	MergedAt *string `json:"merged_at"`
}

type jReactions struct {
	URL        string `json:"url"`
	TotalCount int    `json:"total_count"`
	PlusOne    int    `json:"+1"`
	MinusOne   int    `json:"-1"`
	Laugh      int    `json:"laugh"`
	Hooray     int    `json:"hooray"`
	Confused   int    `json:"confused"`
	Heart      int    `json:"heart"`
	Rocket     int    `json:"rocket"`
	Eyes       int    `json:"eyes"`
}

type jIssue struct {
	URL                   string      `json:"url"`
	RepositoryURL         string      `json:"repository_url"`
	LabelsURL             string      `json:"labels_url"`
	CommentsURL           string      `json:"comments_url"`
	EventsURL             string      `json:"events_url"`
	HTMLURL               string      `json:"html_url"`
	ID                    int64       `json:"id"`
	NodeID                string      `json:"node_id"`
	Number                int         `json:"number"`
	Title                 string      `json:"title"`
	User                  *jUser      `json:"user"`
	Labels                []jLabel    `json:"labels"`
	State                 string      `json:"state"`
	Locked                bool        `json:"locked"`
	Assignee              *jUser      `json:"assignee"`
	Assignees             []jUser     `json:"assignees"`
	Milestone             *jMilestone `json:"milestone"`
	Comments              int         `json:"comments"`
	CreatedAt             string      `json:"created_at"`
	UpdatedAt             string      `json:"updated_at"`
	ClosedAt              *string     `json:"closed_at"`
	AuthorAssociation     string      `json:"author_association"`
	ActiveLockReason      *string     `json:"active_lock_reason"`
	Draft                 *bool       `json:"draft,omitempty"`
	PullRequest           *jPRLinks   `json:"pull_request,omitempty"`
	Body                  *string     `json:"body"`
	Reactions             jReactions  `json:"reactions"`
	TimelineURL           string      `json:"timeline_url"`
	PerformedViaGithubApp *struct{}   `json:"performed_via_github_app"`
	StateReason           *string     `json:"state_reason"`
}

type jRepoShort struct {
	ID            int64  `json:"id"`
	NodeID        string `json:"node_id"`
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	Private       bool   `json:"private"`
	Owner         jUser  `json:"owner"`
	HTMLURL       string `json:"html_url"`
	Description   string `json:"description"`
	Fork          bool   `json:"fork"`
	URL           string `json:"url"`
	IssuesURL     string `json:"issues_url"`
	PullsURL      string `json:"pulls_url"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
	PushedAt      string `json:"pushed_at"`
	Archived      bool   `json:"archived"`
	Disabled      bool   `json:"disabled"`
	Visibility    string `json:"visibility"`
	DefaultBranch string `json:"default_branch"`
}

type jRepo struct {
	jRepoShort
	HasIssues       bool `json:"has_issues"`
	HasProjects     bool `json:"has_projects"`
	OpenIssuesCount int  `json:"open_issues_count"`
	OpenIssues      int  `json:"open_issues"`
}

type jRef struct {
	Label string      `json:"label"`
	Ref   string      `json:"ref"`
	SHA   string      `json:"sha"`
	User  jUser       `json:"user"`
	Repo  *jRepoShort `json:"repo"`
}

type jHref struct {
	Href string `json:"href"`
}

type jPull struct {
	URL                string      `json:"url"`
	ID                 int64       `json:"id"`
	NodeID             string      `json:"node_id"`
	HTMLURL            string      `json:"html_url"`
	DiffURL            string      `json:"diff_url"`
	PatchURL           string      `json:"patch_url"`
	IssueURL           string      `json:"issue_url"`
	CommitsURL         string      `json:"commits_url"`
	ReviewCommentsURL  string      `json:"review_comments_url"`
	ReviewCommentURL   string      `json:"review_comment_url"`
	CommentsURL        string      `json:"comments_url"`
	StatusesURL        string      `json:"statuses_url"`
	Number             int         `json:"number"`
	State              string      `json:"state"`
	Locked             bool        `json:"locked"`
	Title              string      `json:"title"`
	User               *jUser      `json:"user"`
	Body               *string     `json:"body"`
	Labels             []jLabel    `json:"labels"`
	Milestone          *jMilestone `json:"milestone"`
	ActiveLockReason   *string     `json:"active_lock_reason"`
	CreatedAt          string      `json:"created_at"`
	UpdatedAt          string      `json:"updated_at"`
	ClosedAt           *string     `json:"closed_at"`
	MergedAt           *string     `json:"merged_at"`
	MergeCommitSHA     *string     `json:"merge_commit_sha"`
	Assignee           *jUser      `json:"assignee"`
	Assignees          []jUser     `json:"assignees"`
	RequestedReviewers []jUser     `json:"requested_reviewers"`
	RequestedTeams     []struct{}  `json:"requested_teams"`
	Head               jRef        `json:"head"`
	Base               jRef        `json:"base"`
	Links              struct {
		Self    jHref `json:"self"`
		HTML    jHref `json:"html"`
		Issue   jHref `json:"issue"`
		Commits jHref `json:"commits"`
	} `json:"_links"`
	AuthorAssociation string `json:"author_association"`
	Draft             bool   `json:"draft"`
	// Only on GET /pulls/{n}.
	Merged *bool `json:"merged,omitempty"`
}

type jEvent struct {
	ID          int64   `json:"id"`
	NodeID      string  `json:"node_id"`
	URL         string  `json:"url"`
	Actor       *jUser  `json:"actor"`
	Event       string  `json:"event"`
	CommitID    *string `json:"commit_id"`
	CommitURL   *string `json:"commit_url"`
	CreatedAt   string  `json:"created_at"`
	StateReason *string `json:"state_reason,omitempty"`
	Assignee    *jUser  `json:"assignee,omitempty"`
	Issue       *jIssue `json:"issue"`
}

// ts renders a time as GitHub does: UTC, seconds.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func tsp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := ts(*t)
	return &s
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nodeID(kind string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("0%s%d", kind, id)))
}

// urls renders the API and web URLs of the server answering the request.
type urls struct {
	api string // e.g. http://127.0.0.1:1234/ or …/api/v3/
	web string
}

func (s *Server) user(u urls, login string) *jUser {
	if login == "" {
		return nil
	}
	us := s.users[key(login)]
	id := int64(0)
	if us != nil {
		id = us.ID
	}
	a := u.api + "users/" + login
	return &jUser{Login: login, ID: id, NodeID: nodeID("User", id),
		AvatarURL: u.web + "avatars/u/" + fmt.Sprint(id), URL: a, HTMLURL: u.web + login,
		FollowersURL: a + "/followers", FollowingURL: a + "/following{/other_user}",
		GistsURL: a + "/gists{/gist_id}", StarredURL: a + "/starred{/owner}{/repo}",
		SubscriptionsURL: a + "/subscriptions", OrganizationsURL: a + "/orgs", ReposURL: a + "/repos",
		EventsURL: a + "/events{/privacy}", ReceivedEventsURL: a + "/received_events", Type: "User"}
}

func (s *Server) userFull(u urls, us *User) jUserFull {
	return jUserFull{jUser: *s.user(u, us.Login), Name: strp(us.Name), Email: strp(us.Email),
		CreatedAt: ts(us.CreatedAt), UpdatedAt: ts(us.UpdatedAt)}
}

func (s *Server) labels(u urls, r *Repo, names []string) []jLabel {
	out := make([]jLabel, 0, len(names))
	for _, n := range names {
		id := int64(len(n))*1_000_003 + r.ID
		out = append(out, jLabel{ID: id, NodeID: nodeID("Label", id),
			URL: u.api + "repos/" + r.FullName() + "/labels/" + n, Name: n, Color: "f29513",
			Default: strings.EqualFold(n, "bug")})
	}
	return out
}

func (s *Server) milestone(u urls, r *Repo, m *Milestone) *jMilestone {
	if m == nil {
		return nil
	}
	open, closed := 0, 0
	for _, is := range r.Issues {
		if is.Milestone == m.Number && !is.Deleted {
			if is.State == "open" {
				open++
			} else {
				closed++
			}
		}
	}
	a := u.api + "repos/" + r.FullName() + "/milestones/" + fmt.Sprint(m.Number)
	return &jMilestone{URL: a, HTMLURL: u.web + r.FullName() + "/milestone/" + fmt.Sprint(m.Number),
		LabelsURL: a + "/labels", ID: m.ID, NodeID: nodeID("Milestone", m.ID), Number: m.Number, State: m.State,
		Title: m.Title, Description: strp(m.Description), Creator: s.user(u, m.Creator),
		OpenIssues: open, ClosedIssues: closed, CreatedAt: ts(m.CreatedAt), UpdatedAt: ts(m.UpdatedAt),
		ClosedAt: tsp(m.ClosedAt), DueOn: tsp(m.DueOn)}
}

// milestoneRef is the milestone as embedded in issues (no open/closed counting per issue
// in the hot path: the counts are computed once per answer by the caller).
func (s *Server) issue(u urls, r *Repo, is *Issue, ms map[int]*jMilestone) *jIssue {
	a := u.api + "repos/" + r.FullName() + "/issues/" + fmt.Sprint(is.Number)
	j := &jIssue{URL: a, RepositoryURL: u.api + "repos/" + r.FullName(), LabelsURL: a + "/labels{/name}",
		CommentsURL: a + "/comments", EventsURL: a + "/events",
		HTMLURL: u.web + r.FullName() + "/issues/" + fmt.Sprint(is.Number),
		ID:      is.ID, NodeID: nodeID("Issue", is.ID), Number: is.Number, Title: is.Title,
		User: s.user(u, is.Author), Labels: s.labels(u, r, is.Labels), State: is.State,
		Assignees: []jUser{}, Milestone: ms[is.Milestone], CreatedAt: ts(is.CreatedAt), UpdatedAt: ts(is.UpdatedAt),
		ClosedAt: tsp(is.ClosedAt), AuthorAssociation: "MEMBER", Body: strp(is.Body),
		Reactions:   jReactions{URL: a + "/reactions"},
		TimelineURL: a + "/timeline", StateReason: strp(is.StateReason)}
	for _, l := range is.Assignees {
		j.Assignees = append(j.Assignees, *s.user(u, l))
	}
	if len(is.Assignees) > 0 {
		j.Assignee = s.user(u, is.Assignees[0])
	}
	if is.Pull != nil {
		p := u.api + "repos/" + r.FullName() + "/pulls/" + fmt.Sprint(is.Number)
		w := u.web + r.FullName() + "/pull/" + fmt.Sprint(is.Number)
		j.PullRequest = &jPRLinks{URL: p, HTMLURL: w, DiffURL: w + ".diff", PatchURL: w + ".patch", MergedAt: tsp(is.Pull.MergedAt)}
		d := is.Pull.Draft
		j.Draft = &d
		j.HTMLURL = w
	}
	return j
}

func (s *Server) repoShort(u urls, r *Repo) *jRepoShort {
	a := u.api + "repos/" + r.FullName()
	vis := "public"
	if r.Private {
		vis = "private"
	}
	return &jRepoShort{ID: r.ID, NodeID: nodeID("Repository", r.ID), Name: r.Name, FullName: r.FullName(),
		Private: r.Private, Owner: *s.user(u, r.Owner), HTMLURL: u.web + r.FullName(), URL: a,
		IssuesURL: a + "/issues{/number}", PullsURL: a + "/pulls{/number}", CreatedAt: ts(r.CreatedAt),
		UpdatedAt: ts(r.UpdatedAt), PushedAt: ts(r.UpdatedAt), Archived: r.Archived, Visibility: vis,
		DefaultBranch: "main"}
}

func (s *Server) repo(u urls, r *Repo) *jRepo {
	open := 0
	for _, is := range r.Issues {
		if !is.Deleted && is.State == "open" {
			open++
		}
	}
	return &jRepo{jRepoShort: *s.repoShort(u, r), HasIssues: true, HasProjects: true, OpenIssuesCount: open, OpenIssues: open}
}

func (s *Server) pull(u urls, r *Repo, is *Issue, ms map[int]*jMilestone, detail bool) *jPull {
	a := u.api + "repos/" + r.FullName()
	p := a + "/pulls/" + fmt.Sprint(is.Number)
	w := u.web + r.FullName() + "/pull/" + fmt.Sprint(is.Number)
	iss := a + "/issues/" + fmt.Sprint(is.Number)
	sha := fmt.Sprintf("%040x", is.Pull.ID)
	rs := s.repoShort(u, r)
	owner := *s.user(u, r.Owner)
	j := &jPull{URL: p, ID: is.Pull.ID, NodeID: nodeID("PullRequest", is.Pull.ID), HTMLURL: w,
		DiffURL: w + ".diff", PatchURL: w + ".patch", IssueURL: iss, CommitsURL: p + "/commits",
		ReviewCommentsURL: p + "/comments", ReviewCommentURL: a + "/pulls/comments{/number}",
		CommentsURL: iss + "/comments", StatusesURL: a + "/statuses/" + sha, Number: is.Number,
		State: is.State, Title: is.Title, User: s.user(u, is.Author), Body: strp(is.Body),
		Labels: s.labels(u, r, is.Labels), Milestone: ms[is.Milestone], CreatedAt: ts(is.CreatedAt),
		UpdatedAt: ts(is.UpdatedAt), ClosedAt: tsp(is.ClosedAt), MergedAt: tsp(is.Pull.MergedAt),
		Assignees: []jUser{}, RequestedReviewers: []jUser{}, RequestedTeams: []struct{}{},
		Head:              jRef{Label: r.Owner + ":" + is.Pull.Head, Ref: is.Pull.Head, SHA: sha, User: owner, Repo: rs},
		Base:              jRef{Label: r.Owner + ":" + is.Pull.Base, Ref: is.Pull.Base, SHA: sha, User: owner, Repo: rs},
		AuthorAssociation: "MEMBER", Draft: is.Pull.Draft}
	if is.Pull.MergedAt != nil {
		j.MergeCommitSHA = &sha
	}
	for _, l := range is.Assignees {
		j.Assignees = append(j.Assignees, *s.user(u, l))
	}
	if len(is.Assignees) > 0 {
		j.Assignee = s.user(u, is.Assignees[0])
	}
	j.Links.Self.Href, j.Links.HTML.Href, j.Links.Issue.Href, j.Links.Commits.Href = p, w, iss, p+"/commits"
	if detail {
		m := is.Pull.MergedAt != nil
		j.Merged = &m
	}
	return j
}

// projectItem renders a Projects (v2) item as the REST API does, with the asked fields.
func (s *Server) projectItem(u urls, p *Project, it *ProjectItem, fields map[int64]bool) map[string]any {
	out := map[string]any{
		"id": it.ID, "node_id": nodeID("ProjectV2Item", it.ID),
		"project_url":  u.api + "orgs/" + p.Owner + "/projectsV2/" + fmt.Sprint(p.Number),
		"content_type": "Issue", "creator": s.user(u, p.Owner),
		"created_at": ts(it.CreatedAt), "updated_at": ts(it.UpdatedAt), "archived_at": nil,
		"item_url": u.api + "orgs/" + p.Owner + "/projectsV2/" + fmt.Sprint(p.Number) + "/items/" + fmt.Sprint(it.ID),
	}
	if r := s.repos[key(it.Repo)]; r != nil {
		if is := r.Issues[it.Number]; is != nil {
			// As on GitHub, a pull request's content is the pull request (its own id,
			// not the issue's).
			if is.Pull != nil {
				out["content_type"] = "PullRequest"
				out["content"] = s.pull(u, r, is, s.milestones(u, r), false)
			} else {
				out["content"] = s.issue(u, r, is, s.milestones(u, r))
			}
		}
	}
	var fs []map[string]any
	for _, f := range p.Fields {
		if !fields[f.ID] && f.DataType != "title" {
			continue
		}
		v := it.Values[f.Name]
		var val any
		switch {
		case f.DataType == "title":
			val = map[string]any{"raw": fieldTitle(out), "html": fieldTitle(out)}
		case v == "":
			val = nil
		case f.DataType == "single_select":
			val = map[string]any{"id": optionID(v), "name": map[string]string{"raw": v, "html": v}, "color": "GRAY",
				"description": map[string]string{"raw": "", "html": ""}}
		case f.DataType == "iteration":
			val = map[string]any{"id": optionID(v), "title": map[string]string{"raw": v, "html": v},
				"start_date": "2025-01-06", "duration": 14}
		case f.DataType == "number":
			var n float64
			fmt.Sscan(v, &n)
			val = n
		default:
			val = v
		}
		fs = append(fs, map[string]any{"id": f.ID, "name": f.Name, "data_type": f.DataType, "value": val})
	}
	out["fields"] = fs
	return out
}

func fieldTitle(item map[string]any) string {
	switch c := item["content"].(type) {
	case *jIssue:
		return c.Title
	case *jPull:
		return c.Title
	}
	return ""
}

func optionID(v string) string { return fmt.Sprintf("%08x", len(v)*2654435761%4294967296) }

func (s *Server) projectField(p *Project, f *ProjectField) map[string]any {
	out := map[string]any{"id": f.ID, "node_id": nodeID("ProjectV2Field", f.ID), "name": f.Name,
		"data_type": f.DataType, "project_url": "", "created_at": ts(time.Unix(0, 0)), "updated_at": ts(time.Unix(0, 0))}
	if f.DataType == "single_select" {
		var opts []map[string]any
		for _, o := range f.Options {
			opts = append(opts, map[string]any{"id": optionID(o), "name": map[string]string{"raw": o, "html": o}, "color": "GRAY"})
		}
		out["options"] = opts
	}
	if f.DataType == "iteration" {
		var its []map[string]any
		for _, o := range f.Iterations {
			its = append(its, map[string]any{"id": optionID(o), "title": map[string]string{"raw": o, "html": o}, "start_date": "2025-01-06", "duration": 14})
		}
		out["configuration"] = map[string]any{"iterations": its}
	}
	return out
}

func (s *Server) milestones(u urls, r *Repo) map[int]*jMilestone {
	out := make(map[int]*jMilestone, len(r.Milestones))
	for n, m := range r.Milestones {
		out[n] = s.milestone(u, r, m)
	}
	return out
}
