package jira

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

func TestDataCenterFullAndIncremental(t *testing.T) {
	h := newHarness(t, jirafake.DataCenter, alphaBeta)
	seed(h, 1200) // more than one 1000-issue startAt page
	h.mustSync(false)
	checkMirror(t, h)

	story := h.fake.Issue("ALPHA-2")
	pm := h.store.payload(StreamIssues, fmt.Sprint(story.ID))["pmohub"].(map[string]any)
	// DC's sprint field is a Java toString; its users have names, not account ids.
	if pm["sprint"] != "Sprint 7" || pm["sprint_id"] != 1.0 || pm["assignee_id"] != "bo" {
		t.Errorf("pmohub = %v", pm)
	}
	var searches []string
	for _, r := range h.fake.Requests() {
		if r.Path == "/rest/api/3/search/jql" {
			t.Errorf("Data Center has no enhanced search, got %v", r)
		}
		if r.Path == "/rest/api/2/search" && strings.Contains(r.Query, "startAt") {
			searches = append(searches, r.Query)
		}
	}
	if len(searches) != 2 {
		t.Errorf("want 2 startAt pages, got %d", len(searches))
	}

	h.clock.Advance(10 * time.Minute)
	h.fake.Transition("ALPHA-3", "3", ana)
	h.fake.DeleteIssue("ALPHA-9")
	h.clock.Advance(time.Minute)
	h.mustSync(false)
	checkMirror(t, h)
}

func TestEpicLinkSite(t *testing.T) {
	h := newHarness(t, jirafake.Cloud, alphaBeta)
	h.fake.EpicLinkOnly = true
	seed(h, 0)
	h.mustSync(false)
	story := h.fake.Issue("ALPHA-2")
	p := h.store.payload(StreamIssues, fmt.Sprint(story.ID))
	if _, ok := p["fields"].(map[string]any)["parent"]; ok {
		t.Fatal("an epic-link site sends no parent for stories")
	}
	pm := p["pmohub"].(map[string]any)
	epic := h.fake.Issue("ALPHA-1")
	if pm["parent_key"] != "ALPHA-1" || pm["parent_id"] != fmt.Sprint(epic.ID) {
		t.Errorf("parent from Epic Link: %v / %v", pm["parent_key"], pm["parent_id"])
	}
	if f := pm["fields"].(map[string]any); f["epic_link"] != jirafake.FieldEpicLink {
		t.Errorf("resolved fields: %v", f)
	}
}

func TestResolveFields(t *testing.T) {
	meta := []fieldMeta{
		{ID: "customfield_10026", Name: "Story Points"},
		{ID: "customfield_10016", Name: "Story point estimate"},
		{ID: "customfield_10111", Name: "Original story points"},
		{ID: "customfield_10020", Name: "Sprint"},
		{ID: "customfield_10014", Name: "Epic Link"},
	}
	meta[0].Schema.Custom = schemaFloat
	meta[1].Schema.Custom = schemaStoryPoints
	meta[2].Schema.Custom = "com.atlassian.jpo:jpo-custom-field-original-story-points"
	meta[3].Schema.Custom = schemaSprint
	meta[4].Schema.Custom = schemaEpicLink
	ids := resolveFields(meta)
	if strings.Join(ids.StoryPoints, ",") != "customfield_10016,customfield_10026" || ids.Sprint != "customfield_10020" || ids.EpicLink != "customfield_10014" {
		t.Errorf("resolved %+v", ids)
	}
}

func TestParseDCSprint(t *testing.T) {
	id, name, state, ok := parseDCSprint("com.atlassian.greenhopper.service.sprint.Sprint@1f[id=31,rapidViewId=4,state=CLOSED,name=Sprint 3, the one, with commas,goal=ship, it,startDate=2024-01-01T10:00:00.000Z,sequence=31]")
	if !ok || id != 31 || name != "Sprint 3, the one, with commas" || state != "closed" {
		t.Errorf("got %d %q %q %v", id, name, state, ok)
	}
	if _, _, _, ok := parseDCSprint("not a sprint"); ok {
		t.Error("garbage parsed")
	}
}
