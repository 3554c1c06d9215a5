package jirafake

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Server) sortedProjects() []*Project {
	out := make([]*Project, 0, len(s.projects))
	for _, p := range s.projects {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// handleProjectSearch serves GET /rest/api/3/project/search: unknown keys are silently
// left out, as on Jira Cloud.
func (s *Server) handleProjectSearch(w http.ResponseWriter, r *http.Request, v int) {
	keys := r.URL.Query()["keys"]
	var list []*Project
	for _, p := range s.sortedProjects() {
		if len(keys) == 0 || slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, p.Key) }) {
			list = append(list, p)
		}
	}
	s.pageValues(w, r, 50, len(list), func(i int) any { return s.renderProject(list[i], v) }, "/rest/api/3/project/search")
}

// pageValues writes a startAt page in the {startAt,maxResults,total,isLast,values} shape.
func (s *Server) pageValues(w http.ResponseWriter, r *http.Request, cap, total int, item func(int) any, path string) {
	start := min(intParam(r, "startAt", 0, 0), total)
	n := max(intParam(r, "maxResults", cap, cap), 1)
	end := min(start+n, total)
	vals := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		vals = append(vals, item(i))
	}
	out := obj{"self": fmt.Sprintf("%s%s?startAt=%d&maxResults=%d", s.HTTP.URL, path, start, n),
		"startAt": start, "maxResults": n, "total": total, "isLast": end >= total, "values": vals}
	if end < total {
		out["nextPage"] = fmt.Sprintf("%s%s?startAt=%d&maxResults=%d", s.HTTP.URL, path, end, n)
	}
	writeJSON(w, out)
}

func (s *Server) handleBoards(w http.ResponseWriter, r *http.Request) {
	pk := r.URL.Query().Get("projectKeyOrId")
	var list []Board
	for _, b := range s.boards {
		if pk == "" || strings.EqualFold(b.ProjectKey, pk) || s.projects[b.ProjectKey].ID == pk {
			list = append(list, b)
		}
	}
	if pk != "" && s.projectByKeyOrID(pk) == nil {
		writeErr(w, http.StatusBadRequest, fmt.Sprintf("No project could be found with key '%s'.", pk))
		return
	}
	s.pageValues(w, r, 50, len(list), func(i int) any {
		b := list[i]
		p := s.projects[b.ProjectKey]
		return obj{"id": b.ID, "self": fmt.Sprintf("%s/rest/agile/1.0/board/%d", s.HTTP.URL, b.ID), "name": b.Name, "type": b.Type,
			"location": obj{"projectId": atoi(p.ID), "projectKey": p.Key, "projectName": p.Name, "displayName": p.Name + " (" + p.Key + ")", "projectTypeKey": "software"}}
	}, "/rest/agile/1.0/board")
}

func (s *Server) handleSprints(w http.ResponseWriter, r *http.Request, boardID int) {
	var board *Board
	for i := range s.boards {
		if s.boards[i].ID == boardID {
			board = &s.boards[i]
		}
	}
	if board == nil {
		writeErr(w, http.StatusNotFound, "Board does not exist or you do not have permission to see it.")
		return
	}
	if board.Type != "scrum" {
		writeErr(w, http.StatusBadRequest, "The board does not support sprints")
		return
	}
	var list []Sprint
	for _, sp := range s.sprints {
		if sp.BoardID == boardID {
			list = append(list, sp)
		}
	}
	s.pageValues(w, r, 50, len(list), func(i int) any {
		sp := list[i]
		o := s.renderSprint(&sp)
		delete(o, "boardId")
		o["originBoardId"] = sp.BoardID
		o["self"] = s.HTTP.URL + "/rest/agile/1.0/sprint/" + strconv.Itoa(sp.ID)
		return o
	}, fmt.Sprintf("/rest/agile/1.0/board/%d/sprint", boardID))
}

// Generate fills a project with n issues of mixed types and statuses, each with a
// changelog of changes status changes, spread over the past days (for benchmarks and the
// demo). Every seventh issue gets a long history that search results cut short.
func (s *Server) Generate(projectKey string, n, changes int) {
	s.mu.Lock()
	p := s.projects[projectKey]
	s.mu.Unlock()
	if p == nil {
		p = s.AddProject(projectKey, projectKey+" project")
	}
	sprint := s.AddSprint(projectKey, projectKey+" Sprint 1", "active")
	base := s.Now().Add(-time.Duration(n) * time.Minute)
	types := []string{"Story", "Task", "Bug", "Story", "Task"}
	users := []*User{
		{AccountID: "acc-ana", Name: "ana", DisplayName: "Ana Lima", Email: "ana@acme.com", TimeZone: "UTC"},
		{AccountID: "acc-bo", Name: "bo", DisplayName: "Bo Chen", TimeZone: "UTC"},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range n {
		created := base.Add(time.Duration(i) * time.Minute)
		p.next++
		s.nextID++
		sp := float64(i%8 + 1)
		is := &Issue{ID: s.nextID, Key: fmt.Sprintf("%s-%d", projectKey, p.next), ProjectKey: projectKey,
			Summary: fmt.Sprintf("Generated issue %d: «quotes\" and \\ backslashes»", i), Type: types[i%len(types)],
			StatusID: "1", Priority: "Medium", Reporter: users[i%2], Assignee: users[(i+1)%2], Created: created,
			Labels: []string{"gen"}, StoryPoints: &sp, SprintIDs: []int{sprint}}
		hist := changes
		if i%7 == 0 {
			hist = changes + s.EmbedLimit + 5
		}
		at := created
		cur := "1"
		for h := range hist {
			at = at.Add(time.Second)
			next := []string{"3", "4", "3", "5"}[h%4]
			s.nextHist++
			is.Changelog = append(is.Changelog, History{ID: strconv.Itoa(s.nextHist), Author: users[h%2], Created: at,
				Items: []ChangeItem{{Field: "status", FieldID: "status", From: cur, FromString: s.status(cur).Name, To: next, ToString: s.status(next).Name}}})
			cur = next
		}
		is.StatusID = cur
		if s.status(cur).Category == "done" {
			is.Resolution = "Done"
			t := at
			is.ResolutionDate = &t
		}
		is.Updated = at
		s.issues[is.ID] = is
		s.byKey[is.Key] = is
	}
	s.changed()
}
