package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Field schema ids that identify the agile fields on any site.
const (
	schemaStoryPoints = "com.pyxis.greenhopper.jira:jsw-story-points"
	schemaSprint      = "com.pyxis.greenhopper.jira:gh-sprint"
	schemaEpicLink    = "com.pyxis.greenhopper.jira:gh-epic-link"
	schemaFloat       = "com.atlassian.jira.plugin.system.customfieldtypes:float"
)

// deployment detects Cloud or Data Center once per connector (serverInfo.deploymentType).
func (s *session) deployment(ctx context.Context) (string, error) {
	s.c.mu.Lock()
	d := s.c.deploy
	s.c.mu.Unlock()
	if d != "" {
		return d, nil
	}
	var info struct {
		DeploymentType string `json:"deploymentType"`
	}
	if err := s.get(ctx, "GET", "/rest/api/2/serverInfo", nil, nil, &info); err != nil {
		return "", err
	}
	d = deployDC
	if strings.EqualFold(info.DeploymentType, "cloud") {
		d = deployCloud
	}
	s.log.Debug("jira deployment detected", "deployment", d)
	s.c.mu.Lock()
	s.c.deploy = d
	s.c.mu.Unlock()
	return d, nil
}

// apiPath is the REST root of the deployment: v3 on Cloud, v2 on Data Center.
func apiPath(deploy string) string {
	if deploy == deployCloud {
		return "/rest/api/3"
	}
	return "/rest/api/2"
}

// timeZone reads the user's time zone, in which Jira interprets JQL dates.
func (s *session) timeZone(ctx context.Context, deploy string) (string, error) {
	var me struct {
		TimeZone string `json:"timeZone"`
	}
	if err := s.get(ctx, "GET", apiPath(deploy)+"/myself", nil, nil, &me); err != nil {
		return "", err
	}
	if _, err := time.LoadLocation(me.TimeZone); err != nil || me.TimeZone == "" {
		s.log.Warn("jira user time zone unknown, using UTC", "time_zone", me.TimeZone)
		return "UTC", nil
	}
	return me.TimeZone, nil
}

// fieldMeta is the part of /field metadata the connector reads.
type fieldMeta struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Custom bool   `json:"custom"`
	Schema struct {
		Type   string `json:"type"`
		Custom string `json:"custom"`
	} `json:"schema"`
}

// customIDs are the site's ids of the agile fields.
type customIDs struct {
	StoryPoints []string // in order of preference: the first non-empty wins
	Sprint      string
	EpicLink    string
}

// resolveFields finds story points, sprint and epic link by schema, never by site id.
func resolveFields(meta []fieldMeta) customIDs {
	sort.Slice(meta, func(i, j int) bool { return meta[i].ID < meta[j].ID })
	var ids customIDs
	var classic []string
	for _, f := range meta {
		switch {
		case f.Schema.Custom == schemaStoryPoints:
			ids.StoryPoints = append(ids.StoryPoints, f.ID)
		case f.Schema.Custom == schemaFloat && strings.EqualFold(strings.TrimSpace(f.Name), "story points"):
			classic = append(classic, f.ID)
		case f.Schema.Custom == schemaSprint && ids.Sprint == "":
			ids.Sprint = f.ID
		case f.Schema.Custom == schemaEpicLink && ids.EpicLink == "":
			ids.EpicLink = f.ID
		}
	}
	ids.StoryPoints = append(ids.StoryPoints, classic...)
	return ids
}

// customFields resolves the agile field ids from the stored fields stream, or from
// /field when nothing is stored yet; cached for the connector's life.
func (s *session) customFields(ctx context.Context, deploy string) (customIDs, error) {
	s.c.mu.Lock()
	cached := s.c.fields
	s.c.mu.Unlock()
	if cached != nil {
		return *cached, nil
	}
	var meta []fieldMeta
	if s.env.Stored != nil {
		err := s.env.Stored.Records(ctx, StreamFields, nil, func(r storedRecord) error {
			var f fieldMeta
			if err := json.Unmarshal(r.Payload, &f); err == nil {
				meta = append(meta, f)
			}
			return nil
		})
		if err != nil {
			return customIDs{}, fmt.Errorf("source %s: read stored fields: %w", s.c.src.Name, err)
		}
	}
	if len(meta) == 0 {
		if err := s.get(ctx, "GET", apiPath(deploy)+"/field", nil, nil, &meta); err != nil {
			return customIDs{}, err
		}
	}
	ids := resolveFields(meta)
	s.log.Debug("jira custom fields resolved", "story_points", ids.StoryPoints, "sprint", ids.Sprint, "epic_link", ids.EpicLink)
	s.c.mu.Lock()
	s.c.fields = &ids
	s.c.mu.Unlock()
	return ids, nil
}

// baseFields are the issue fields the default mapping reads.
var baseFields = []string{
	"summary", "description", "issuetype", "status", "priority", "assignee", "reporter", "creator", "created",
	"updated", "resolution", "resolutiondate", "duedate", "labels", "parent", "components",
	"project", "issuelinks", "fixVersions",
}

// issueFields is what searches ask for: base fields, resolved agile fields and the
// configured extras, without duplicates.
func (c *Connector) issueFields(ids customIDs) []string {
	seen := map[string]bool{}
	var out []string
	add := func(fs ...string) {
		for _, f := range fs {
			if f != "" && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	add(baseFields...)
	add(ids.StoryPoints...)
	add(ids.Sprint, ids.EpicLink)
	add(c.cfg.Fields...)
	return out
}
