package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

// reservedKey is the top-level key the connector adds to every issue payload.
const reservedKey = "pmohub"

// pmohubInfo is what the connector adds under "pmohub": values the mapping needs whose
// place in Jira's payload depends on the site (custom field ids) or on the deployment
// (Cloud account ids versus Data Center user names).
type pmohubInfo struct {
	V           int      `json:"v"`
	StoryPoints *float64 `json:"story_points"`
	Sprint      string   `json:"sprint,omitempty"`
	SprintID    int      `json:"sprint_id,omitempty"`
	SprintState string   `json:"sprint_state,omitempty"`
	Sprints     []string `json:"sprints,omitempty"`
	ParentKey   string   `json:"parent_key,omitempty"`
	ParentID    string   `json:"parent_id,omitempty"`
	AssigneeID  string   `json:"assignee_id,omitempty"`
	ReporterID  string   `json:"reporter_id,omitempty"`
	People      []person `json:"people"`
	// Fields names the site's custom field ids the values came from.
	Fields struct {
		StoryPoints []string `json:"story_points,omitempty"`
		Sprint      string   `json:"sprint,omitempty"`
		EpicLink    string   `json:"epic_link,omitempty"`
	} `json:"fields"`
	// ChangelogTotal is the number of histories in changelog.histories, complete.
	ChangelogTotal int `json:"changelog_total"`
	// DoneAt is when the issue entered its current status, when that status is in the
	// done category: the finish time for workflows that never set a resolution date.
	DoneAt string `json:"done_at,omitempty"`
}

type person struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email,omitempty"`
	Active      bool   `json:"active"`
}

type jiraUser struct {
	AccountID    string `json:"accountId"`
	Name         string `json:"name"`
	Key          string `json:"key"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	Active       bool   `json:"active"`
}

func (u jiraUser) id() string {
	switch {
	case u.AccountID != "":
		return u.AccountID
	case u.Name != "":
		return u.Name
	}
	return u.Key
}

// userCache maps a user's JSON as written to the person it names (ID empty when it names
// none). The same few people are the assignees, reporters and changelog authors of most
// issues; decoding every copy with encoding/json was a large share of a sync's CPU.
type userCache map[string]person

// maxUsers bounds a run's cache: a site with more distinct user objects starts over.
const maxUsers = 20000

func (c userCache) put(raw string, p person) {
	if len(c) >= maxUsers {
		clear(c)
	}
	c[raw] = p
}

// parsedIssue is an issue split into its raw parts.
type parsedIssue struct {
	id, key   string
	updated   time.Time
	top       []member
	fields    []member
	changelog *changelogPart
}

type changelogPart struct {
	StartAt   int               `json:"startAt"`
	Total     int               `json:"total"`
	Histories []json.RawMessage `json:"histories"`
}

// parseChangelog reads the embedded changelog without decoding the histories.
func parseChangelog(raw []byte) (*changelogPart, error) {
	ms, err := splitObject(raw)
	if err != nil {
		return nil, err
	}
	c := &changelogPart{}
	if v := find(ms, "startAt"); !isNull(v) {
		if err := decodeInt(v, &c.StartAt); err != nil {
			return nil, err
		}
	}
	if v := find(ms, "total"); !isNull(v) {
		if err := decodeInt(v, &c.Total); err != nil {
			return nil, err
		}
	}
	if v := find(ms, "histories"); !isNull(v) {
		hs, err := splitArray(v)
		if err != nil {
			return nil, err
		}
		c.Histories = make([]json.RawMessage, len(hs))
		for i, h := range hs {
			c.Histories[i] = h
		}
	}
	return c, nil
}

func (c *changelogPart) truncated() bool {
	return c != nil && (c.StartAt > 0 || c.Total > len(c.Histories))
}

func parseIssue(raw []byte) (*parsedIssue, error) {
	top, err := splitObject(raw)
	if err != nil {
		return nil, err
	}
	p := &parsedIssue{top: top}
	if err := decodeString(find(top, "id"), &p.id); err != nil || p.id == "" {
		return nil, fmt.Errorf("issue without id")
	}
	_ = decodeString(find(top, "key"), &p.key)
	if f := find(top, "fields"); !isNull(f) {
		if p.fields, err = splitObject(f); err != nil {
			return nil, fmt.Errorf("issue %s: fields: %w", p.id, err)
		}
	}
	var updated string
	if err := decodeString(find(p.fields, "updated"), &updated); err != nil {
		return nil, fmt.Errorf("issue %s: no updated time", p.id)
	}
	if p.updated, err = parseJiraTime(updated); err != nil {
		return nil, fmt.Errorf("issue %s: %w", p.id, err)
	}
	if cl := find(top, "changelog"); !isNull(cl) {
		if p.changelog, err = parseChangelog(cl); err != nil {
			return nil, fmt.Errorf("issue %s: changelog: %w", p.id, err)
		}
	}
	return p, nil
}

// version orders an issue's changes by its updated time, in microseconds.
func (p *parsedIssue) version() uint64 { return uint64(p.updated.UnixMicro()) }

// record builds the raw record: the issue as fetched, its changelog complete, plus the
// pmohub object. parentID resolves an Epic Link key to an issue id when known.
func (p *parsedIssue) record(ids customIDs, parentID func(key string) string, users userCache) (connectors.Record, error) {
	info := pmohubInfo{V: 1}
	info.Fields.StoryPoints, info.Fields.Sprint, info.Fields.EpicLink = ids.StoryPoints, ids.Sprint, ids.EpicLink
	for _, f := range ids.StoryPoints {
		raw := find(p.fields, f)
		if len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
			if x, err := strconv.ParseFloat(string(raw), 64); err == nil {
				info.StoryPoints = &x
				break
			}
		}
		var v *float64
		if json.Unmarshal(raw, &v) == nil && v != nil {
			info.StoryPoints = v
			break
		}
	}
	if ids.Sprint != "" {
		info.sprints(find(p.fields, ids.Sprint))
	}
	var parent struct{ ID, Key string }
	if ms, err := splitObject(find(p.fields, "parent")); err == nil {
		_ = decodeString(find(ms, "id"), &parent.ID)
		_ = decodeString(find(ms, "key"), &parent.Key)
	}
	if parent.Key != "" {
		info.ParentKey, info.ParentID = parent.Key, parent.ID
	} else if ids.EpicLink != "" {
		var key string
		if decodeString(find(p.fields, ids.EpicLink), &key) == nil && key != "" {
			info.ParentKey = key
			info.ParentID = parentID(key)
		}
	}
	people := map[string]bool{}
	if users == nil {
		users = userCache{}
	}
	addUser := func(raw []byte) string {
		if isNull(raw) {
			return ""
		}
		u, ok := users[string(raw)]
		if !ok {
			var ju jiraUser
			if json.Unmarshal(raw, &ju) == nil && ju.id() != "" {
				u = person{ID: ju.id(), DisplayName: ju.DisplayName, Email: ju.EmailAddress, Active: ju.Active}
			}
			users.put(string(raw), u)
		}
		if u.ID != "" && !people[u.ID] {
			people[u.ID] = true
			info.People = append(info.People, u)
		}
		return u.ID
	}
	info.AssigneeID = addUser(find(p.fields, "assignee"))
	info.ReporterID = addUser(find(p.fields, "reporter"))
	addUser(find(p.fields, "creator"))
	top := p.top
	if p.changelog != nil {
		hs := make([][]member, len(p.changelog.Histories))
		for i, h := range p.changelog.Histories {
			if ms, err := splitObject(h); err == nil {
				hs[i] = ms
				addUser(find(ms, "author"))
			}
		}
		info.ChangelogTotal = len(p.changelog.Histories)
		info.DoneAt = p.doneAtSplit(hs)
	}
	if info.People == nil {
		info.People = []person{}
	}
	extra, err := json.Marshal(info)
	if err != nil {
		return connectors.Record{}, err
	}
	out := make([]member, 0, len(top)+1)
	for _, m := range top {
		if m.key != reservedKey { // a site never sends it; never let one collide
			out = append(out, m)
		}
	}
	out = append(out, member{key: reservedKey, val: extra})
	return connectors.Record{Stream: StreamIssues, NativeID: p.id, Version: p.version(), ChangedAt: p.updated.UTC(), Payload: joinObject(out)}, nil
}

// replaceChangelog puts a complete history list in place of the truncated one.
func (p *parsedIssue) replaceChangelog(histories []json.RawMessage) error {
	// Written by hand: json.Marshal would re-validate and compact every history, which
	// were already checked when their answer was decoded.
	n := 64
	for _, h := range histories {
		n += len(h) + 1
	}
	raw := make([]byte, 0, n)
	raw = append(raw, `{"startAt":0,"maxResults":`...)
	raw = strconv.AppendInt(raw, int64(len(histories)), 10)
	raw = append(raw, `,"total":`...)
	raw = strconv.AppendInt(raw, int64(len(histories)), 10)
	raw = append(raw, `,"histories":[`...)
	for i, h := range histories {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = append(raw, h...)
	}
	raw = append(raw, "]}"...)
	for i := range p.top {
		if p.top[i].key == "changelog" {
			p.top[i].val = raw
		}
	}
	p.changelog = &changelogPart{Total: len(histories), Histories: histories}
	return nil
}

// sprints reads the sprint field: objects on Cloud, Java toString texts on Data Center.
// The current sprint is the active one, else the last listed.
func (info *pmohubInfo) sprints(raw []byte) {
	var list []json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &list) != nil {
		return
	}
	type sp struct {
		ID          int
		Name, State string
	}
	var all []sp
	for _, r := range list {
		var o struct {
			ID    int    `json:"id"`
			Name  string `json:"name"`
			State string `json:"state"`
		}
		var s string
		if json.Unmarshal(r, &o) == nil && o.Name != "" {
			all = append(all, sp{o.ID, o.Name, o.State})
		} else if json.Unmarshal(r, &s) == nil {
			if id, name, state, ok := parseDCSprint(s); ok {
				all = append(all, sp{id, name, state})
			}
		}
	}
	if len(all) == 0 {
		return
	}
	cur := all[len(all)-1]
	for _, s := range all {
		info.Sprints = append(info.Sprints, s.Name)
		if s.State == "active" {
			cur = s
		}
	}
	info.Sprint, info.SprintID, info.SprintState = cur.Name, cur.ID, cur.State
}

// doneAt returns the created time of the last history that moved the issue into its
// current status, when that status is in the done category; "" otherwise.
func (p *parsedIssue) doneAt() string {
	hs := make([][]member, len(p.changelog.Histories))
	for i, h := range p.changelog.Histories {
		hs[i], _ = splitObject(h)
	}
	return p.doneAtSplit(hs)
}

// doneAtSplit is doneAt on histories already split into members (nil where one did not).
func (p *parsedIssue) doneAtSplit(hs [][]member) string {
	var statusID, category string
	if ms, err := splitObject(find(p.fields, "status")); err == nil {
		_ = decodeString(find(ms, "id"), &statusID)
		if cat, err := splitObject(find(ms, "statusCategory")); err == nil {
			_ = decodeString(find(cat, "key"), &category)
		}
	}
	if category != "done" || statusID == "" {
		return ""
	}
	at, latest := "", time.Time{}
	for _, ms := range hs {
		// Items are matched on their raw bytes: decoding every history of every done
		// issue was the largest cost of building records.
		if ms == nil || !movedTo(find(ms, "items"), statusID) {
			continue
		}
		var created string
		if decodeString(find(ms, "created"), &created) != nil {
			continue
		}
		t, err := parseJiraTime(created)
		if err != nil {
			continue
		}
		// the latest entry into the status, whatever order the histories come in
		if !t.Before(latest) {
			at, latest = created, t
		}
	}
	return at
}

// movedTo reports whether a history's items hold a status change to the status id.
func movedTo(items []byte, statusID string) bool {
	if isNull(items) {
		return false
	}
	els, err := splitArray(items)
	if err != nil {
		return false
	}
	for _, el := range els {
		ms, err := splitObject(el)
		if err == nil && jsonStringIs(find(ms, "field"), "status") && jsonStringIs(find(ms, "to"), statusID) {
			return true
		}
	}
	return false
}

// jsonStringIs reports whether raw is the JSON string s.
func jsonStringIs(raw []byte, s string) bool {
	if len(raw) < 2 || raw[0] != '"' {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1:len(raw)-1]) == s
	}
	var v string
	return json.Unmarshal(raw, &v) == nil && v == s
}
