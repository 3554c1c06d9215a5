package jirafake

import (
	"strconv"
	"strings"
	"time"
)

// jiraTime is the timestamp format of Jira's REST API.
const jiraTime = "2006-01-02T15:04:05.000-0700"

type obj = map[string]any

func (s *Server) api(v int) string { return s.HTTP.URL + "/rest/api/" + strconv.Itoa(v) }

// loc is the user's time zone, loaded once per zone name (LoadLocation reads tzdata).
func (s *Server) loc() *time.Location {
	if s.locName == s.Me.TimeZone && s.locCache != nil {
		return s.locCache
	}
	l, err := time.LoadLocation(s.Me.TimeZone)
	if err != nil {
		l = time.UTC
	}
	s.locName, s.locCache = s.Me.TimeZone, l
	return l
}

func (s *Server) fmtTime(t time.Time) string { return t.In(s.loc()).Format(jiraTime) }

func (s *Server) renderUser(u *User, v int) any {
	if u == nil {
		return nil
	}
	o := obj{"displayName": u.DisplayName, "active": true, "timeZone": u.TimeZone}
	if s.Deployment == Cloud {
		o["accountId"] = u.AccountID
		o["accountType"] = "atlassian"
		o["self"] = s.api(v) + "/user?accountId=" + u.AccountID
	} else {
		o["name"], o["key"] = u.Name, u.Name
		o["self"] = s.api(v) + "/user?username=" + u.Name
	}
	if u.Email != "" {
		o["emailAddress"] = u.Email
	}
	return o
}

func (s *Server) renderStatus(id string, v int) obj {
	st := s.status(id)
	catID := map[string]int{"new": 2, "indeterminate": 4, "done": 3}[st.Category]
	catName := map[string]string{"new": "To Do", "indeterminate": "In Progress", "done": "Done"}[st.Category]
	return obj{"self": s.api(v) + "/status/" + st.ID, "id": st.ID, "name": st.Name, "description": "",
		"iconUrl":        s.HTTP.URL + "/images/icons/statuses/generic.png",
		"statusCategory": obj{"self": s.api(v) + "/statuscategory/" + strconv.Itoa(catID), "id": catID, "key": st.Category, "colorName": "blue-gray", "name": catName}}
}

func (s *Server) renderProject(p *Project, v int) obj {
	return obj{"self": s.api(v) + "/project/" + p.ID, "id": p.ID, "key": p.Key, "name": p.Name,
		"projectTypeKey": "software", "simplified": false, "style": "classic",
		"avatarUrls": obj{"48x48": s.HTTP.URL + "/secure/projectavatar?pid=" + p.ID}}
}

func (s *Server) renderSprint(sp *Sprint) obj {
	o := obj{"id": sp.ID, "name": sp.Name, "state": sp.State, "boardId": sp.BoardID}
	if sp.Goal != "" {
		o["goal"] = sp.Goal
	}
	if !sp.StartDate.IsZero() {
		o["startDate"] = sp.StartDate.UTC().Format("2006-01-02T15:04:05.000Z")
		o["endDate"] = sp.EndDate.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return o
}

// dcSprint renders a sprint the way Data Center's sprint field does: a Java toString.
func dcSprint(sp *Sprint) string {
	return "com.atlassian.greenhopper.service.sprint.Sprint@1a2b3c[id=" + strconv.Itoa(sp.ID) +
		",rapidViewId=" + strconv.Itoa(sp.BoardID) + ",state=" + strings.ToUpper(sp.State) +
		",name=" + sp.Name + ",goal=" + sp.Goal + ",sequence=" + strconv.Itoa(sp.ID) + "]"
}

// fieldSet is the `fields` parameter: nil means all.
type fieldSet map[string]bool

func parseFields(list []string, def string) fieldSet {
	var names []string
	for _, f := range list {
		names = append(names, strings.Split(f, ",")...)
	}
	if len(names) == 0 {
		names = []string{def}
	}
	fs := fieldSet{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "*all" || n == "*navigable" {
			return nil
		}
		if n != "" {
			fs[n] = true
		}
	}
	return fs
}

func (fs fieldSet) want(name string) bool { return fs == nil || fs[name] }

// idOnly reports whether only id/key were asked for, which lets Jira serve big pages.
func (fs fieldSet) idOnly() bool {
	if fs == nil {
		return false
	}
	for f := range fs {
		if f != "id" && f != "key" {
			return false
		}
	}
	return true
}

func (s *Server) renderIssue(is *Issue, v int, fs fieldSet, changelog bool, embed int) obj {
	out := obj{"id": strconv.Itoa(is.ID), "self": s.api(v) + "/issue/" + strconv.Itoa(is.ID), "key": is.Key,
		"expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields"}
	if fs != nil && fs.idOnly() && !fs["key"] {
		return obj{"id": strconv.Itoa(is.ID)}
	}
	f := obj{}
	put := func(name string, val func() any) {
		if fs.want(name) {
			f[name] = val()
		}
	}
	typ := s.issueType(is.Type)
	put("summary", func() any { return is.Summary })
	put("description", func() any {
		if is.Description == "" {
			return nil
		}
		if v == 3 { // v3 speaks Atlassian Document Format
			return obj{"type": "doc", "version": 1, "content": []any{obj{"type": "paragraph", "content": []any{obj{"type": "text", "text": is.Description}}}}}
		}
		return is.Description
	})
	put("issuetype", func() any {
		return obj{"self": s.api(v) + "/issuetype/" + typ.ID, "id": typ.ID, "name": typ.Name, "subtask": typ.HierarchyLevel < 0, "hierarchyLevel": typ.HierarchyLevel}
	})
	put("status", func() any { return s.renderStatus(is.StatusID, v) })
	put("priority", func() any { return obj{"self": s.api(v) + "/priority/3", "id": "3", "name": is.Priority} })
	put("assignee", func() any { return s.renderUser(is.Assignee, v) })
	put("reporter", func() any { return s.renderUser(is.Reporter, v) })
	put("creator", func() any { return s.renderUser(is.Reporter, v) })
	put("created", func() any { return s.fmtTime(is.Created) })
	put("updated", func() any { return s.fmtTime(is.Updated) })
	put("resolution", func() any {
		if is.Resolution == "" {
			return nil
		}
		return obj{"self": s.api(v) + "/resolution/1", "id": "1", "name": is.Resolution, "description": ""}
	})
	put("resolutiondate", func() any {
		if is.ResolutionDate == nil {
			return nil
		}
		return s.fmtTime(*is.ResolutionDate)
	})
	put("duedate", func() any {
		if is.DueDate == "" {
			return nil
		}
		return is.DueDate
	})
	put("labels", func() any { return append([]string{}, is.Labels...) })
	put("components", func() any {
		cs := []any{}
		for i, c := range is.Components {
			cs = append(cs, obj{"self": s.api(v) + "/component/" + strconv.Itoa(100+i), "id": strconv.Itoa(100 + i), "name": c})
		}
		return cs
	})
	put("project", func() any { return s.renderProject(s.projects[is.ProjectKey], v) })
	put("issuelinks", func() any { return []any{} })
	parent := s.byKey[is.ParentKey]
	if parent != nil && !(s.EpicLinkOnly && typ.HierarchyLevel == 0) {
		put("parent", func() any {
			return obj{"id": strconv.Itoa(parent.ID), "key": parent.Key, "self": s.api(v) + "/issue/" + strconv.Itoa(parent.ID),
				"fields": obj{"summary": parent.Summary, "status": s.renderStatus(parent.StatusID, v), "issuetype": obj{"name": parent.Type}}}
		})
	}
	put(FieldStoryPoints, func() any {
		if is.StoryPoints == nil {
			return nil
		}
		return *is.StoryPoints
	})
	put(FieldSprint, func() any {
		if len(is.SprintIDs) == 0 {
			return nil
		}
		var out []any
		for _, id := range is.SprintIDs {
			if sp := s.sprint(id); sp != nil {
				if s.Deployment == Cloud {
					out = append(out, s.renderSprint(sp))
				} else {
					out = append(out, dcSprint(sp))
				}
			}
		}
		return out
	})
	if s.EpicLinkOnly {
		put(FieldEpicLink, func() any {
			if parent == nil || typ.HierarchyLevel != 0 {
				return nil
			}
			return parent.Key
		})
	}
	put(FieldTeam, func() any {
		if is.Team == "" {
			return nil
		}
		return obj{"id": "1", "name": is.Team, "title": is.Team}
	})
	out["fields"] = f
	if changelog {
		out["changelog"] = s.renderChangelog(is, v, embed)
	}
	return out
}

// renderHistory writes a history straight to JSON (keys in encoding/json's sorted
// order): histories are most of a big answer, and building maps for them made the fake
// the bottleneck of benchmarks. epoch writes created as epoch seconds (the bulk endpoint).
func (s *Server) renderHistory(h History, v int, epoch bool) rawJSON {
	b := make([]byte, 0, 512)
	b = append(b, `{"author":`...)
	b = s.appendUser(b, h.Author, v)
	b = append(b, `,"created":`...)
	if epoch {
		b = strconv.AppendInt(b, h.Created.Unix(), 10)
	} else {
		b = appendString(b, s.fmtTime(h.Created))
	}
	b = append(b, `,"id":`...)
	b = appendString(b, h.ID)
	b = append(b, `,"items":[`...)
	for i, it := range h.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"field":`...)
		b = appendString(b, it.Field)
		b = append(b, `,"fieldId":`...)
		b = appendString(b, it.FieldID)
		b = append(b, `,"fieldtype":"jira","from":`...)
		b = appendJSON(b, nilIfEmpty(it.From))
		b = append(b, `,"fromString":`...)
		b = appendJSON(b, nilIfEmpty(it.FromString))
		b = append(b, `,"to":`...)
		b = appendJSON(b, nilIfEmpty(it.To))
		b = append(b, `,"toString":`...)
		b = appendJSON(b, nilIfEmpty(it.ToString))
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendUser writes renderUser's object without building it.
func (s *Server) appendUser(b []byte, u *User, v int) []byte {
	if u == nil {
		return append(b, "null"...)
	}
	email := func(b []byte) []byte {
		if u.Email != "" {
			b = append(b, `,"emailAddress":`...)
			b = appendString(b, u.Email)
		}
		return b
	}
	if s.Deployment == Cloud {
		b = append(b, `{"accountId":`...)
		b = appendString(b, u.AccountID)
		b = append(b, `,"accountType":"atlassian","active":true,"displayName":`...)
		b = appendString(b, u.DisplayName)
		b = email(b)
		b = append(b, `,"self":`...)
		b = appendString(b, s.api(v)+"/user?accountId="+u.AccountID)
	} else {
		b = append(b, `{"active":true,"displayName":`...)
		b = appendString(b, u.DisplayName)
		b = email(b)
		b = append(b, `,"key":`...)
		b = appendString(b, u.Name)
		b = append(b, `,"name":`...)
		b = appendString(b, u.Name)
		b = append(b, `,"self":`...)
		b = appendString(b, s.api(v)+"/user?username="+u.Name)
	}
	b = append(b, `,"timeZone":`...)
	b = appendString(b, u.TimeZone)
	return append(b, '}')
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// renderChangelog embeds the oldest histories up to embed (0: all), with the total that
// tells the client when it was cut short.
func (s *Server) renderChangelog(is *Issue, v int, embed int) obj {
	n := len(is.Changelog)
	if embed > 0 && n > embed {
		n = embed
	}
	hs := make([]any, 0, n)
	for _, h := range is.Changelog[:n] {
		hs = append(hs, s.renderHistory(h, v, false))
	}
	return obj{"startAt": 0, "maxResults": n, "total": len(is.Changelog), "histories": hs}
}

var allFieldMeta = []obj{
	{"id": "summary", "key": "summary", "name": "Summary", "custom": false, "navigable": true, "searchable": true, "clauseNames": []string{"summary"}, "schema": obj{"type": "string", "system": "summary"}},
	{"id": "status", "key": "status", "name": "Status", "custom": false, "navigable": true, "searchable": true, "clauseNames": []string{"status"}, "schema": obj{"type": "status", "system": "status"}},
	{"id": "parent", "key": "parent", "name": "Parent", "custom": false, "navigable": true, "searchable": true, "clauseNames": []string{"parent"}},
	{"id": FieldStoryPoints, "key": FieldStoryPoints, "name": "Story point estimate", "custom": true, "navigable": true, "searchable": true,
		"clauseNames": []string{"cf[10016]", "Story point estimate"}, "schema": obj{"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points", "customId": 10016}},
	{"id": FieldSprint, "key": FieldSprint, "name": "Sprint", "custom": true, "navigable": true, "searchable": true,
		"clauseNames": []string{"cf[10020]", "Sprint"}, "schema": obj{"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020}},
	{"id": FieldTeam, "key": FieldTeam, "name": "Team", "custom": true, "navigable": true, "searchable": true,
		"clauseNames": []string{"cf[10001]", "Team"}, "schema": obj{"type": "team", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team", "customId": 10001}},
	{"id": "customfield_10111", "key": "customfield_10111", "name": "Original story points", "custom": true, "navigable": true, "searchable": true,
		"clauseNames": []string{"cf[10111]", "Original story points"}, "schema": obj{"type": "number", "custom": "com.atlassian.jpo:jpo-custom-field-original-story-points", "customId": 10111}},
}

func (s *Server) fieldMeta() []obj {
	out := append([]obj{}, allFieldMeta...)
	if s.EpicLinkOnly {
		out = append(out, obj{"id": FieldEpicLink, "key": FieldEpicLink, "name": "Epic Link", "custom": true, "navigable": true, "searchable": true,
			"clauseNames": []string{"cf[10014]", "Epic Link"}, "schema": obj{"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-epic-link", "customId": 10014}})
	}
	return out
}
