package githubfake

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// listCache keeps a repository's listing orders until the next change.
type listCache struct {
	gen       int
	byCreated []*Issue // live issues and pull requests, oldest first
	byUpdated []*Issue
	pulls     []*Issue // pull requests, least recently updated first
	ms        map[int]*jMilestone
}

func (s *Server) cache(u urls, r *Repo) *listCache {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.caches == nil {
		s.caches = map[*Repo]*cachedList{}
	}
	c := s.caches[r]
	if c != nil && c.gen == s.gen && c.apiBase == u.api {
		return &c.listCache
	}
	var live []*Issue
	for _, is := range r.Issues {
		if !is.Deleted {
			live = append(live, is)
		}
	}
	byCreated := slices.Clone(live)
	slices.SortFunc(byCreated, func(a, b *Issue) int { return int(a.ID - b.ID) })
	byUpdated := slices.Clone(byCreated)
	slices.SortStableFunc(byUpdated, func(a, b *Issue) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	var pulls []*Issue
	for _, is := range byUpdated {
		if is.Pull != nil {
			pulls = append(pulls, is)
		}
	}
	c = &cachedList{listCache: listCache{gen: s.gen, byCreated: byCreated, byUpdated: byUpdated, pulls: pulls,
		ms: s.milestones(u, r)}, apiBase: u.api}
	s.caches[r] = c
	return &c.listCache
}

type cachedList struct {
	listCache
	apiBase string
}

func (s *Server) visible(r *Repo, auth string) bool {
	if r == nil {
		return false
	}
	if !r.Private {
		return true
	}
	tok := strings.TrimPrefix(strings.TrimPrefix(auth, "Bearer "), "token ")
	return s.PrivateToken != "" && tok == s.PrivateToken
}

// route answers a GET: status, body, Link header and, for redirects, Location.
func (s *Server) route(u urls, path string, q url.Values, auth string) (int, []byte, string, string) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(seg) == 1 && seg[0] == "rate_limit":
		s.logMu.Lock()
		core := map[string]int{"limit": s.limit, "remaining": s.remaining}
		s.logMu.Unlock()
		return ok(map[string]any{"resources": map[string]any{"core": core}}, "")
	case len(seg) == 2 && seg[0] == "users":
		us := s.users[key(seg[1])]
		if us == nil {
			return errBody(http.StatusNotFound, "Not Found")
		}
		return ok(s.userFull(u, us), "")
	case len(seg) == 3 && seg[0] == "orgs" && seg[2] == "repos":
		return s.orgRepos(u, path, seg[1], q, auth)
	case len(seg) >= 4 && (seg[0] == "orgs" || seg[0] == "users") && seg[2] == "projectsV2":
		return s.project(u, path, seg, q)
	case len(seg) >= 3 && seg[0] == "repos":
		r := s.repos[key(seg[1]+"/"+seg[2])]
		if !s.visible(r, auth) {
			return errBody(http.StatusNotFound, "Not Found")
		}
		rest := seg[3:]
		switch {
		case len(rest) == 0:
			return ok(s.repo(u, r), "")
		case len(rest) == 1 && rest[0] == "issues":
			return s.listIssues(u, path, r, q)
		case len(rest) == 2 && rest[0] == "issues" && rest[1] == "events":
			return s.listEvents(u, path, r, q)
		case len(rest) == 2 && rest[0] == "issues":
			return s.getIssue(u, r, rest[1])
		case len(rest) == 1 && rest[0] == "pulls":
			return s.listPulls(u, path, r, q)
		case len(rest) == 2 && rest[0] == "pulls":
			n, _ := strconv.Atoi(rest[1])
			is := r.Issues[n]
			if is == nil || is.Pull == nil || is.Deleted {
				return errBody(http.StatusNotFound, "Not Found")
			}
			return ok(s.pull(u, r, is, s.cache(u, r).ms, true), "")
		case len(rest) == 1 && rest[0] == "milestones":
			return s.listMilestones(u, path, r, q)
		}
	}
	return errBody(http.StatusNotFound, "Not Found")
}

func (s *Server) orgRepos(u urls, path, org string, q url.Values, auth string) (int, []byte, string, string) {
	var list []*Repo
	found := false
	for _, r := range s.repos {
		if strings.EqualFold(r.Owner, org) {
			found = true
			if s.visible(r, auth) {
				list = append(list, r)
			}
		}
	}
	if !found {
		return errBody(http.StatusNotFound, "Not Found")
	}
	if q.Get("sort") == "full_name" {
		slices.SortFunc(list, func(a, b *Repo) int { return strings.Compare(key(a.FullName()), key(b.FullName())) })
	} else {
		slices.SortFunc(list, func(a, b *Repo) int { return int(a.ID - b.ID) })
	}
	lo, hi, link := paginate(u, path, q, len(list))
	out := make([]*jRepo, 0, hi-lo)
	for _, r := range list[lo:hi] {
		out = append(out, s.repo(u, r))
	}
	return ok(out, link)
}

func stateMatch(want, state string) bool {
	if want == "" {
		want = "open"
	}
	return want == "all" || want == state
}

func (s *Server) listIssues(u urls, path string, r *Repo, q url.Values) (int, []byte, string, string) {
	c := s.cache(u, r)
	src := c.byCreated
	if q.Get("sort") == "updated" {
		src = c.byUpdated
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return errBody(http.StatusUnprocessableEntity, "Validation Failed")
		}
		since = t
	}
	var list []*Issue
	if q.Get("sort") == "updated" && !since.IsZero() {
		i, _ := slices.BinarySearchFunc(src, since, func(is *Issue, t time.Time) int { return is.UpdatedAt.Compare(t) })
		src = src[i:]
		since = time.Time{}
	}
	want := q.Get("state")
	for _, is := range src {
		if stateMatch(want, is.State) && (since.IsZero() || !is.UpdatedAt.Before(since)) {
			list = append(list, is)
		}
	}
	if q.Get("direction") != "asc" {
		slices.Reverse(list)
	}
	lo, hi, link := paginate(u, path, q, len(list))
	out := make([]*jIssue, 0, hi-lo)
	for _, is := range list[lo:hi] {
		out = append(out, s.issue(u, r, is, c.ms))
	}
	return ok(out, link)
}

func (s *Server) getIssue(u urls, r *Repo, num string) (int, []byte, string, string) {
	n, err := strconv.Atoi(num)
	is := r.Issues[n]
	if err != nil || is == nil {
		return errBody(http.StatusNotFound, "Not Found")
	}
	if is.MovedTo != "" {
		return http.StatusMovedPermanently, nil, "", fmt.Sprintf("%srepos/%s/issues/%d", u.api, is.MovedTo, is.MovedToNumber)
	}
	if is.Deleted {
		return errBody(http.StatusGone, "This issue was deleted")
	}
	return ok(s.issue(u, r, is, s.cache(u, r).ms), "")
}

func (s *Server) listPulls(u urls, path string, r *Repo, q url.Values) (int, []byte, string, string) {
	c := s.cache(u, r)
	var list []*Issue
	want := q.Get("state")
	src := c.pulls
	if q.Get("sort") != "updated" {
		src = nil
		for _, is := range c.byCreated {
			if is.Pull != nil {
				src = append(src, is)
			}
		}
	}
	for _, is := range src {
		if stateMatch(want, is.State) {
			list = append(list, is)
		}
	}
	if q.Get("direction") != "asc" {
		slices.Reverse(list)
	}
	lo, hi, link := paginate(u, path, q, len(list))
	out := make([]*jPull, 0, hi-lo)
	for _, is := range list[lo:hi] {
		out = append(out, s.pull(u, r, is, c.ms, false))
	}
	return ok(out, link)
}

func (s *Server) listMilestones(u urls, path string, r *Repo, q url.Values) (int, []byte, string, string) {
	c := s.cache(u, r)
	var list []*Milestone
	for _, m := range r.Milestones {
		if stateMatch(q.Get("state"), m.State) {
			list = append(list, m)
		}
	}
	slices.SortFunc(list, func(a, b *Milestone) int {
		switch {
		case a.DueOn == nil && b.DueOn == nil:
			return a.Number - b.Number
		case a.DueOn == nil:
			return 1
		case b.DueOn == nil:
			return -1
		}
		if d := a.DueOn.Compare(*b.DueOn); d != 0 {
			return d
		}
		return a.Number - b.Number
	})
	if q.Get("direction") == "desc" {
		slices.Reverse(list)
	}
	lo, hi, link := paginate(u, path, q, len(list))
	out := make([]*jMilestone, 0, hi-lo)
	for _, m := range list[lo:hi] {
		out = append(out, c.ms[m.Number])
	}
	return ok(out, link)
}

func (s *Server) listEvents(u urls, path string, r *Repo, q url.Values) (int, []byte, string, string) {
	c := s.cache(u, r)
	n := len(r.Events)
	lo, hi, link := paginate(u, path, q, n)
	out := make([]*jEvent, 0, hi-lo)
	for i := lo; i < hi; i++ {
		e := r.Events[n-1-i] // newest first
		is := r.Issues[e.IssueNumber]
		ev := &jEvent{ID: e.ID, NodeID: nodeID("IssueEvent", e.ID),
			URL: fmt.Sprintf("%srepos/%s/issues/events/%d", u.api, r.FullName(), e.ID), Actor: s.user(u, e.Actor),
			Event: e.Event, CreatedAt: ts(e.CreatedAt), StateReason: strp(e.StateReason), Assignee: s.user(u, e.Assignee)}
		if is != nil && !is.Deleted {
			ev.Issue = s.issue(u, r, is, c.ms)
		}
		out = append(out, ev)
	}
	return ok(out, link)
}

func (s *Server) project(u urls, path string, seg []string, q url.Values) (int, []byte, string, string) {
	n, _ := strconv.Atoi(seg[3])
	p := s.projects[fmt.Sprintf("%s/%d", key(seg[1]), n)]
	if p == nil {
		return errBody(http.StatusNotFound, "Not Found")
	}
	switch {
	case len(seg) == 5 && seg[4] == "fields":
		out := make([]map[string]any, 0, len(p.Fields))
		for _, f := range p.Fields {
			out = append(out, s.projectField(p, f))
		}
		return ok(out, "")
	case len(seg) == 5 && seg[4] == "items":
		fields := map[int64]bool{}
		for _, v := range strings.Split(q.Get("fields"), ",") {
			if id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				fields[id] = true
			}
		}
		var live []*ProjectItem
		for _, it := range p.Items {
			if !it.Archived {
				live = append(live, it)
			}
		}
		lo, hi, link := cursorPage(u, path, q, len(live))
		out := make([]map[string]any, 0, hi-lo)
		for _, it := range live[lo:hi] {
			out = append(out, s.projectItem(u, p, it, fields))
		}
		return ok(out, link)
	}
	return errBody(http.StatusNotFound, "Not Found")
}
