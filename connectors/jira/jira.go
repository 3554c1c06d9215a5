// Package jira is pmohub's connector for Jira Cloud and Jira Data Center. It reads field
// metadata, statuses, projects, sprints and issues (with complete changelogs) into the raw
// layer, incrementally, and finds deleted issues with an id-only sweep.
package jira

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

//go:embed mapping.yaml
var defaultMapping []byte

// Kind describes the jira source kind for the wiring.
func Kind() connectors.Kind {
	return connectors.Kind{Name: "jira", New: New, Mapping: defaultMapping}
}

// Stream names.
const (
	StreamFields   = "fields"
	StreamStatuses = "statuses"
	StreamProjects = "projects"
	StreamSprints  = "sprints"
	StreamIssues   = "issues"
)

// Config is the jira-specific part of a source in pmohub.yaml.
type Config struct {
	// Projects are the project keys to read; JQL narrows or replaces them.
	Projects []string `yaml:"projects"`
	JQL      string   `yaml:"jql"`
	// Fields are extra issue fields to fetch (custom field ids a mapping names), on top of
	// the ones the default mapping needs.
	Fields []string `yaml:"fields"`
	// Overlap is re-read before the cursor, for Jira's minute-precision JQL (default 2m).
	Overlap time.Duration `yaml:"overlap"`
	// LookupRefresh is how often fields, statuses, projects and sprints are re-read
	// (default 1h); --full always re-reads them.
	LookupRefresh time.Duration `yaml:"lookup_refresh"`
	// Deployment skips detection: "cloud" or "datacenter".
	Deployment string `yaml:"deployment"`
	// MaxWait caps one wait on a rate limit (default 1m); GiveUpAfter fails the stream
	// when the source stays throttled or unavailable that long in total (default 10m).
	MaxWait     time.Duration `yaml:"max_wait"`
	GiveUpAfter time.Duration `yaml:"give_up_after"`
	// Concurrency bounds the parallel changelog requests (default 4).
	Concurrency int `yaml:"concurrency"`
}

// Connector is one configured Jira source.
type Connector struct {
	src   connectors.SourceConfig
	cfg   Config
	base  *url.URL
	scope string // the JQL of the configured scope, without ordering

	// Sleep waits between retries; tests replace it to avoid real waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a fraction in [0,1) that spreads retries.
	Jitter func() float64

	mu     sync.Mutex
	deploy string     // detected deployment, cached for the connector's life
	fields *customIDs // resolved custom field ids, cached for the connector's life
}

// ErrConfig marks a configuration mistake.
var ErrConfig = errors.New("jira: invalid configuration")

// New builds a connector from its source configuration.
func New(src connectors.SourceConfig) (connectors.Connector, error) {
	var cfg Config
	if src.Settings != nil {
		if err := src.Settings.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("source %s: %w", src.Name, err)
		}
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: source %s: %s", ErrConfig, src.Name, fmt.Sprintf(format, a...))
	}
	u, err := url.Parse(strings.TrimRight(src.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, bad("url %q must be the site root, e.g. https://acme.atlassian.net", src.URL)
	}
	if src.Auth.Get("token") == "" {
		return nil, bad("auth needs token (Cloud: email + API token; Data Center: a personal access token)")
	}
	if len(cfg.Projects) == 0 && strings.TrimSpace(cfg.JQL) == "" {
		return nil, bad("set projects or jql")
	}
	if strings.Contains(strings.ToLower(cfg.JQL), "order by") {
		return nil, bad("jql must not have ORDER BY: the connector orders by updated time")
	}
	switch strings.ToLower(cfg.Deployment) {
	case "", "cloud", "datacenter", "server":
	default:
		return nil, bad("deployment %q: use cloud or datacenter", cfg.Deployment)
	}
	for _, k := range cfg.Projects {
		if !validKey(k) {
			return nil, bad("project key %q: keys are letters, digits and underscores", k)
		}
	}
	if cfg.Overlap <= 0 {
		cfg.Overlap = 2 * time.Minute
	}
	if cfg.LookupRefresh <= 0 {
		cfg.LookupRefresh = time.Hour
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = time.Minute
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = 10 * time.Minute
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	c := &Connector{src: src, cfg: cfg, base: u, scope: scopeJQL(cfg), Sleep: sleepCtx, Jitter: defaultJitter}
	switch strings.ToLower(cfg.Deployment) {
	case "cloud":
		c.deploy = deployCloud
	case "datacenter", "server":
		c.deploy = deployDC
	}
	return c, nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// scopeJQL is the configured scope as a JQL condition.
func scopeJQL(cfg Config) string {
	var parts []string
	if len(cfg.Projects) > 0 {
		keys := make([]string, len(cfg.Projects))
		for i, k := range cfg.Projects {
			keys[i] = jqlQuote(k)
		}
		parts = append(parts, "project in ("+strings.Join(keys, ", ")+")")
	}
	if j := strings.TrimSpace(cfg.JQL); j != "" {
		parts = append(parts, "("+j+")")
	}
	return strings.Join(parts, " AND ")
}

func jqlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Streams lists the lookups first, then the issues that refer to them.
func (c *Connector) Streams() []connectors.StreamInfo {
	return []connectors.StreamInfo{
		{Name: StreamFields, Description: "Field metadata (custom field ids and their schema), for resolving story points, sprint and epic link."},
		{Name: StreamStatuses, Description: "Workflow statuses with their status category, for transition categories."},
		{Name: StreamProjects, Description: "The configured Jira projects."},
		{Name: StreamSprints, Description: "Sprints of the projects' scrum boards (Agile API)."},
		{Name: StreamIssues, Description: "Issues as returned by search, with complete changelogs and a `pmohub` object of resolved custom fields."},
	}
}

// Sync reads one stream.
func (c *Connector) Sync(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	s, err := c.session(req)
	if err != nil {
		return err
	}
	switch req.Stream {
	case StreamFields:
		return s.snapshot(ctx, req, emit, s.fetchFields)
	case StreamStatuses:
		return s.snapshot(ctx, req, emit, s.fetchStatuses)
	case StreamProjects:
		return s.snapshot(ctx, req, emit, s.fetchProjects)
	case StreamSprints:
		return s.snapshot(ctx, req, emit, s.fetchSprints)
	case StreamIssues:
		return s.syncIssues(ctx, req, emit)
	}
	return fmt.Errorf("source %s: unknown stream %q", c.src.Name, req.Stream)
}

func (c *Connector) logger(env *connectors.Env, stream string) *slog.Logger {
	l := slog.Default()
	if env != nil && env.Logger != nil {
		l = env.Logger
	}
	return l.With("source", c.src.Name, "kind", "jira", "stream", stream)
}
