// Package config reads pmohub.yaml: the tenant, the warehouse, the sources and the server.
// Unknown keys and wrong types are errors naming the file, line and key; ${VAR} expands
// environment variables (and ${file:/path} reads a file) so secrets stay out of the file.
package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/pmohub/pmohub/connectors"
)

// Config is pmohub.yaml.
type Config struct {
	File      string
	Tenant    string
	Warehouse Warehouse
	Sources   []Source
	Serve     Serve
}

// Warehouse says where the portfolio model lives.
type Warehouse struct {
	URL      string `yaml:"url"`
	Database string `yaml:"database"`
	Cluster  string `yaml:"cluster"`
}

// Serve configures `pmohub serve`.
type Serve struct {
	Listen    string `yaml:"listen"`
	Token     string `yaml:"token"`
	StaleDays int    `yaml:"stale_days"`
	Health    Health `yaml:"health"`
}

// Health are the numeric RAG rules (zero values take the defaults).
type Health struct {
	// RedForecastSlip: red when the 85% forecast passes the target by more than this share
	// of the remaining duration (default 0.10).
	RedForecastSlip float64 `yaml:"red_forecast_slip"`
	// AmberStaleShare: amber when more than this share of work in progress is stale (0.20).
	AmberStaleShare float64 `yaml:"amber_stale_share"`
	// IgnoreOverdueMilestones turns off "red when a committed milestone is overdue".
	IgnoreOverdueMilestones bool `yaml:"ignore_overdue_milestones"`
}

// Source is one entry of `sources:`.
type Source struct {
	connectors.SourceConfig
	Mapping  string        // mapping file path, relative to the config file's folder
	Schedule time.Duration // how often `pmohub serve` syncs it
	Line     int
	// Unusable is why the source cannot run (an unset ${VAR} in its keys); nil when fine.
	Unusable error
}

type fileShape struct {
	Tenant    string     `yaml:"tenant"`
	Warehouse Warehouse  `yaml:"warehouse"`
	Sources   []ast.Node `yaml:"sources"`
	Serve     Serve      `yaml:"serve"`
}

type commonShape struct {
	Name     string            `yaml:"name"`
	Kind     string            `yaml:"kind"`
	URL      string            `yaml:"url"`
	Auth     map[string]string `yaml:"auth"`
	Mapping  string            `yaml:"mapping"`
	Schedule string            `yaml:"schedule"`
}

var commonKeys = map[string]bool{"name": true, "kind": true, "url": true, "auth": true, "mapping": true, "schedule": true}

// DefaultWarehouseURL is the embedded engine in ./data/warehouse.
const DefaultWarehouseURL = "embedded://./data/warehouse"

// Load reads and checks a config file. kinds lists the source kinds this build knows.
func Load(path string, kinds []string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data, kinds)
}

// Parse checks config text; file names it in errors.
func Parse(file string, data []byte, kinds []string) (*Config, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", file, yaml.FormatError(err, false, true))
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil, fmt.Errorf("%s: the file is empty", file)
	}
	envErrs := expandEnv(file, f.Docs[0].Body)
	var shape fileShape
	if err := yaml.NodeToValue(f.Docs[0].Body, &shape, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("%s: %s", file, yaml.FormatError(err, false, true))
	}
	cfg := &Config{File: file, Tenant: shape.Tenant, Warehouse: shape.Warehouse, Serve: shape.Serve}
	if cfg.Tenant == "" {
		cfg.Tenant = "default"
	}
	if !validName.MatchString(cfg.Tenant) {
		return nil, fmt.Errorf("%s: tenant %q: use letters, digits, '-' and '_'", file, cfg.Tenant)
	}
	if cfg.Warehouse.URL == "" {
		cfg.Warehouse.URL = DefaultWarehouseURL
	}
	if cfg.Warehouse.Database == "" {
		cfg.Warehouse.Database = "pmo"
	}
	if cfg.Serve.Listen == "" {
		cfg.Serve.Listen = "127.0.0.1:8080"
	}
	if cfg.Serve.StaleDays == 0 {
		cfg.Serve.StaleDays = 14
	}
	// A missing variable inside a source fails only that source (when it is used), so
	// `pmohub query` needs no source credentials; anywhere else it fails the file.
	unusable := make([]error, len(shape.Sources))
	for _, e := range envErrs {
		inSource := false
		for i, n := range shape.Sources {
			if lo, hi := lineRange(n); e.line >= lo && e.line <= hi {
				inSource = true
				if unusable[i] == nil {
					unusable[i] = e.err
				}
			}
		}
		if !inSource {
			return nil, e.err
		}
	}
	seen := map[string]int{}
	for i, n := range shape.Sources {
		src, err := parseSource(file, n, kinds)
		if err != nil {
			return nil, err
		}
		src.Unusable = unusable[i]
		if prev, dup := seen[src.Name]; dup {
			return nil, fmt.Errorf("%s:%d: sources: name %q is already used on line %d", file, src.Line, src.Name, prev)
		}
		seen[src.Name] = src.Line
		cfg.Sources = append(cfg.Sources, src)
	}
	return cfg, nil
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func parseSource(file string, n ast.Node, kinds []string) (Source, error) {
	line := n.GetToken().Position.Line
	m, ok := n.(*ast.MappingNode)
	if !ok {
		return Source{}, fmt.Errorf("%s:%d: sources: each source is a mapping with name, kind, url, …", file, line)
	}
	common := &ast.MappingNode{BaseNode: m.BaseNode, Start: m.Start, End: m.End, IsFlowStyle: m.IsFlowStyle}
	extra := &ast.MappingNode{BaseNode: m.BaseNode, Start: m.Start, End: m.End, IsFlowStyle: m.IsFlowStyle}
	for _, v := range m.Values {
		if commonKeys[v.Key.String()] {
			common.Values = append(common.Values, v)
		} else {
			extra.Values = append(extra.Values, v)
		}
	}
	var c commonShape
	if err := yaml.NodeToValue(common, &c, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return Source{}, fmt.Errorf("%s: %s", file, yaml.FormatError(err, false, true))
	}
	where := fmt.Sprintf("%s:%d: source %q", file, line, c.Name)
	switch {
	case c.Name == "":
		return Source{}, fmt.Errorf("%s:%d: sources: a source needs a name", file, line)
	case !validName.MatchString(c.Name):
		return Source{}, fmt.Errorf("%s: name: use letters, digits, '-', '.' and '_'", where)
	case c.Kind == "":
		return Source{}, fmt.Errorf("%s: kind is missing (one of %s)", where, strings.Join(kinds, ", "))
	}
	known := false
	for _, k := range kinds {
		known = known || k == c.Kind
	}
	if !known {
		return Source{}, fmt.Errorf("%s: kind %q is not one of %s", where, c.Kind, strings.Join(kinds, ", "))
	}
	src := Source{Mapping: c.Mapping, Line: line}
	src.Name, src.Kind, src.URL = c.Name, c.Kind, strings.TrimSpace(c.URL)
	src.Auth = connectors.Auth{}
	for k, v := range c.Auth {
		src.Auth[k] = connectors.Secret(v)
	}
	src.Schedule = 15 * time.Minute
	if c.Schedule != "" {
		d, err := time.ParseDuration(c.Schedule)
		if err != nil || d < time.Second {
			return Source{}, fmt.Errorf("%s: schedule %q: use a duration such as 5m or 1h", where, c.Schedule)
		}
		src.Schedule = d
	}
	src.Settings = nodeSettings{file: file, node: extra}
	return src, nil
}

// nodeSettings decodes a source's kind-specific keys from the config's own syntax tree, so
// errors carry the config file's real line numbers.
type nodeSettings struct {
	file string
	node *ast.MappingNode
}

func (s nodeSettings) Decode(into any) error {
	if len(s.node.Values) == 0 {
		return nil
	}
	if err := yaml.NodeToValue(s.node, into, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return fmt.Errorf("%s: %s", s.file, yaml.FormatError(err, false, true))
	}
	return nil
}

var envRef = regexp.MustCompile(`\$\{([^}]*)\}`)

type envError struct {
	line int
	err  error
}

// expandEnv replaces ${VAR} and ${file:/path} in every string value under root and
// returns the references it could not fill.
func expandEnv(file string, root ast.Node) []envError {
	var errs []envError
	ast.Walk(visitor(func(n ast.Node) {
		s, ok := n.(*ast.StringNode)
		if !ok || !strings.Contains(s.Value, "${") {
			return
		}
		line := s.Token.Position.Line
		s.Value = envRef.ReplaceAllStringFunc(s.Value, func(ref string) string {
			name := ref[2 : len(ref)-1]
			if p, ok := strings.CutPrefix(name, "file:"); ok {
				b, err := os.ReadFile(p)
				if err != nil {
					errs = append(errs, envError{line, fmt.Errorf("%s:%d: %s: %v", file, line, ref, err)})
				}
				return strings.TrimRight(string(b), "\r\n")
			}
			v, ok := os.LookupEnv(name)
			if !ok {
				errs = append(errs, envError{line, fmt.Errorf("%s:%d: %s: environment variable %s is not set", file, line, ref, name)})
			}
			return v
		})
	}), root)
	return errs
}

// lineRange returns the first and last line a node spans.
func lineRange(n ast.Node) (lo, hi int) {
	lo = n.GetToken().Position.Line
	hi = lo
	ast.Walk(visitor(func(c ast.Node) {
		if t := c.GetToken(); t != nil && t.Position.Line > hi {
			hi = t.Position.Line
		}
	}), n)
	return lo, hi
}

type visitor func(ast.Node)

func (v visitor) Visit(n ast.Node) ast.Visitor {
	v(n)
	return v
}
