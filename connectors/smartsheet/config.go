package smartsheet

import (
	"fmt"
	"net/url"
	"strings"
)

// Config is the kind-specific part of a smartsheet source in pmohub.yaml.
type Config struct {
	Sheets []SheetConfig `yaml:"sheets"`
	// Workspaces adds every sheet of these workspaces (by name or id) as a work_items sheet.
	Workspaces []string `yaml:"workspaces"`
	// PageSize is rows per request (default 1000; id sweeps read 5000).
	PageSize int `yaml:"page_size"`
	// RequestsPerMinute is the client-side limit (default 300, Smartsheet's per-token quota).
	RequestsPerMinute int `yaml:"requests_per_minute"`
}

// SheetConfig is one synced sheet.
type SheetConfig struct {
	ID int64 `yaml:"id"`
	// Entity is what the rows are: work_items (a plan; default) or projects (a register).
	Entity string `yaml:"entity"`
	// Key names a column whose value identifies a row; the row id when empty.
	Key string `yaml:"key"`
	// Project is the portfolio project the sheet rolls up into (a register's project id);
	// the sheet is its own project when empty.
	Project string `yaml:"project"`
	// StatusColumn is the column whose changes become transitions (default "Status").
	StatusColumn string `yaml:"status_column"`
	// History lists columns whose exact cell history is read for changed rows. Each read
	// costs ten requests' worth of quota: use it for one column at most.
	History []string `yaml:"history"`

	// workspace is the configured workspace the sheet was found in; "" when listed.
	workspace string
}

const (
	entityWorkItems = "work_items"
	entityProjects  = "projects"
)

// DefaultURL is the US region; .eu, .au and smartsheetgov.com work the same way.
const DefaultURL = "https://api.smartsheet.com/2.0"

func (c *Config) validate(rawURL string) (string, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("url %q is not an http(s) URL such as %s", rawURL, DefaultURL)
	}
	if len(c.Sheets) == 0 && len(c.Workspaces) == 0 {
		return "", fmt.Errorf("no sheets or workspaces configured")
	}
	seen := map[int64]bool{}
	for i := range c.Sheets {
		s := &c.Sheets[i]
		if s.ID <= 0 {
			return "", fmt.Errorf("sheets[%d]: id must be a Smartsheet sheet id", i)
		}
		if seen[s.ID] {
			return "", fmt.Errorf("sheets[%d]: sheet %d is listed twice", i, s.ID)
		}
		seen[s.ID] = true
		switch s.Entity {
		case "":
			s.Entity = entityWorkItems
		case entityWorkItems, entityProjects:
		default:
			return "", fmt.Errorf("sheets[%d] (sheet %d): entity %q must be work_items or projects", i, s.ID, s.Entity)
		}
		if len(s.History) > 1 {
			return "", fmt.Errorf("sheets[%d] (sheet %d): history names %d columns; cell history costs ten requests per row and column, so name one", i, s.ID, len(s.History))
		}
		s.Key = strings.TrimSpace(s.Key)
	}
	if c.PageSize <= 0 {
		c.PageSize = 1000
	}
	if c.RequestsPerMinute <= 0 {
		c.RequestsPerMinute = 300
	}
	return strings.TrimRight(rawURL, "/"), nil
}
