// Package github is the pmohub connector for GitHub and GitHub Enterprise Server: issues,
// pull requests, milestones, issue events, Projects (v2) items and people.
package github

import (
	_ "embed"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

//go:embed mapping.yaml
var defaultMapping []byte

// DefaultJiraKeyPattern matches Jira issue keys such as ALPHA-12.
const DefaultJiraKeyPattern = `[A-Z][A-Z0-9]+-\d+`

// Config is the kind-specific part of a github source in pmohub.yaml.
type Config struct {
	Repos           []string        `yaml:"repos"`
	Orgs            []string        `yaml:"orgs"`
	IncludeArchived bool            `yaml:"include_archived"`
	Projects        []ProjectConfig `yaml:"projects"`
	JiraKeyPattern  string          `yaml:"jira_key_pattern"`
	// LabelTypes derive the type from labels; the first matching pattern wins.
	LabelTypes []LabelType `yaml:"label_types"`
	// PageSize is per_page for every list call (GitHub allows at most 100).
	PageSize int `yaml:"page_size"`
	// DeletionSweep is how often the items stream re-lists every issue to find deleted
	// and transferred ones (they leave no trace in the incremental listing).
	DeletionSweep time.Duration `yaml:"deletion_sweep"`
	// People fetches /users/{login} once per new login for names and public e-mails.
	People *bool `yaml:"people"`
	// Concurrency is how many repositories sync at once (default 4).
	Concurrency int `yaml:"concurrency"`
	// MaxWait caps one rate-limit wait; a longer reset fails the stream instead of hanging.
	MaxWait time.Duration `yaml:"max_wait"`
}

// ProjectConfig names one GitHub Projects (v2) board.
type ProjectConfig struct {
	Org    string `yaml:"org"`
	User   string `yaml:"user"`
	Number int    `yaml:"number"`
	// StatusField is the board field whose value overrides the state-based category of
	// open items (default "Status").
	StatusField string `yaml:"status_field"`
}

func (p ProjectConfig) statusField() string {
	if p.StatusField == "" {
		return "Status"
	}
	return p.StatusField
}

func (p ProjectConfig) owner() string {
	if p.Org != "" {
		return "orgs/" + p.Org
	}
	return "users/" + p.User
}

func (p ProjectConfig) ref() string {
	if p.Org != "" {
		return fmt.Sprintf("%s/%d", p.Org, p.Number)
	}
	return fmt.Sprintf("%s/%d", p.User, p.Number)
}

// Kind describes the github source kind for the wiring.
func Kind() connectors.Kind {
	return connectors.Kind{Name: "github", New: func(src connectors.SourceConfig) (connectors.Connector, error) {
		return New(src)
	}, Mapping: defaultMapping}
}

// Connector syncs one configured GitHub source.
type Connector struct {
	src        connectors.SourceConfig
	cfg        Config
	baseURL    *url.URL
	jiraKeys   *regexp.Regexp
	labelRules []labelRule
	dashedKeys bool // the default key pattern: a text without "-" has no key
	// Sleep waits between retries; tests replace it so they never sleep for real.
	Sleep func(ctxDone <-chan struct{}, d time.Duration) bool
	// SecondaryBase is the first wait after a secondary limit without Retry-After.
	SecondaryBase time.Duration
	// MaxAttempts bounds retries of one request.
	MaxAttempts int
}

// New builds a connector from its source configuration.
func New(src connectors.SourceConfig) (*Connector, error) {
	var cfg Config
	if src.Settings != nil {
		if err := src.Settings.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("source %s: %w", src.Name, err)
		}
	}
	if len(cfg.Repos) == 0 && len(cfg.Orgs) == 0 {
		return nil, fmt.Errorf("source %s: github needs repos or orgs", src.Name)
	}
	for _, r := range cfg.Repos {
		if o, n, ok := strings.Cut(r, "/"); !ok || o == "" || n == "" || strings.Contains(n, "/") {
			return nil, fmt.Errorf("source %s: repos: %q is not owner/name", src.Name, r)
		}
	}
	for _, p := range cfg.Projects {
		if (p.Org == "") == (p.User == "") || p.Number <= 0 {
			return nil, fmt.Errorf("source %s: projects: each needs org or user, and a number", src.Name)
		}
	}
	if cfg.JiraKeyPattern == "" {
		cfg.JiraKeyPattern = DefaultJiraKeyPattern
	}
	re, err := regexp.Compile(`\b(?:` + cfg.JiraKeyPattern + `)\b`)
	if err != nil {
		return nil, fmt.Errorf("source %s: jira_key_pattern: %w", src.Name, err)
	}
	if cfg.LabelTypes == nil {
		cfg.LabelTypes = DefaultLabelTypes
	}
	var rules []labelRule
	for _, lt := range cfg.LabelTypes {
		r, err := regexp.Compile(`(?i)` + lt.Pattern)
		if err != nil || lt.Type == "" {
			return nil, fmt.Errorf("source %s: label_types: pattern %q needs a valid regexp and a type", src.Name, lt.Pattern)
		}
		rules = append(rules, labelRule{re: r, kind: lt.Type})
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 100 {
		cfg.PageSize = 100
	}
	if cfg.DeletionSweep == 0 {
		cfg.DeletionSweep = 24 * time.Hour
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 15 * time.Minute
	}
	raw := src.URL
	if raw == "" {
		raw = "https://api.github.com/"
	}
	base, err := url.Parse(raw)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("source %s: url %q is not an absolute URL", src.Name, raw)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	// The url is the API base as given: Enterprise Server's is https://<host>/api/v3/. A
	// root URL there answers HTML, which the client reports with that hint.
	return &Connector{src: src, cfg: cfg, baseURL: base, jiraKeys: re, labelRules: rules, dashedKeys: cfg.JiraKeyPattern == DefaultJiraKeyPattern,
		SecondaryBase: time.Minute, MaxAttempts: 6}, nil
}

func (c *Connector) peopleEnabled() bool { return c.cfg.People == nil || *c.cfg.People }

// Stream names.
const (
	StreamRepositories = "repositories"
	StreamMilestones   = "milestones"
	StreamItems        = "items"
	StreamEvents       = "issue_events"
	StreamProjectItems = "project_items"
	StreamPeople       = "people"
)

// Streams lists the streams in sync order.
func (c *Connector) Streams() []connectors.StreamInfo {
	s := []connectors.StreamInfo{
		{Name: StreamRepositories, Description: "Repositories (configured and from orgs), as GET /repos/{o}/{r} returns them."},
		{Name: StreamMilestones, Description: "Milestones (all states), wrapped as {kind, repository, milestone, derived}."},
	}
	// Boards before items: the items stream carries each item's board place.
	if len(c.cfg.Projects) > 0 {
		s = append(s, connectors.StreamInfo{Name: StreamProjectItems, Description: "GitHub Projects (v2) items with their field values, wrapped with the project's fields."})
	}
	s = append(s,
		connectors.StreamInfo{Name: StreamItems, Description: "Issues and pull requests, wrapped as {kind, repository, issue, pull, derived}."},
		connectors.StreamInfo{Name: StreamEvents, Description: "Issue and pull request events (closed, reopened, merged, assigned, …) from the repository event lists."},
	)
	if c.peopleEnabled() {
		s = append(s, connectors.StreamInfo{Name: StreamPeople, Description: "GitHub users (GET /users/{login}) seen as authors or assignees."})
	}
	return s
}

func (c *Connector) logger(env *connectors.Env) *slog.Logger {
	if env != nil && env.Logger != nil {
		return env.Logger.With("source", c.src.Name)
	}
	return slog.New(slog.DiscardHandler).With("source", c.src.Name)
}
