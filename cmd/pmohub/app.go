package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/github"
	"github.com/pmohub/pmohub/connectors/jira"
	"github.com/pmohub/pmohub/connectors/sheets"
	"github.com/pmohub/pmohub/connectors/smartsheet"
	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/sync/config"
	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/server"
)

type app struct {
	configPath     string
	stdout, stderr io.Writer
	logger         *slog.Logger
}

// kinds is the wiring from source kind to connector: no global registry.
func kinds() map[string]connectors.Kind {
	out := map[string]connectors.Kind{}
	for _, k := range []connectors.Kind{jira.Kind(), github.Kind(), sheets.Kind(), smartsheet.Kind()} {
		out[k.Name] = k
	}
	return out
}

func kindNames() []string {
	var out []string
	for k := range kinds() {
		out = append(out, k)
	}
	return sortStrings(out)
}

func (a *app) loadConfig() (*config.Config, error) {
	path := a.configPath
	if path == "" {
		path = os.Getenv("PMOHUB_CONFIG")
	}
	if path == "" {
		path = "pmohub.yaml"
	}
	return config.Load(path, kindNames())
}

// openWarehouse opens the configured warehouse and migrates it.
func (a *app) openWarehouse(ctx context.Context, cfg *config.Config) (*warehouse.Warehouse, error) {
	url := cfg.Warehouse.URL
	var b warehouse.Backend
	switch {
	case strings.HasPrefix(url, "embedded://"):
		dir := strings.TrimPrefix(url, "embedded://")
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(filepath.Dir(cfg.File), dir)
		}
		e, err := warehouse.OpenEmbedded(dir)
		if err != nil {
			return nil, err
		}
		b = e
	case strings.HasPrefix(url, "clickhouse://"):
		s, err := server.Open(ctx, url, a.logger)
		if err != nil {
			return nil, err
		}
		b = s
	default:
		return nil, fmt.Errorf("%s: warehouse.url %q: use embedded://<dir> or clickhouse://user:pass@host:9000/db", cfg.File, url)
	}
	wh := warehouse.New(b, warehouse.Layout{Database: cfg.Warehouse.Database, Cluster: cfg.Warehouse.Cluster}, cfg.Tenant)
	if _, err := wh.Migrate(ctx); err != nil {
		wh.Close()
		return nil, err
	}
	return wh, nil
}

// buildSources turns configured sources into connectors with their mappings.
func (a *app) buildSources(cfg *config.Config, only string) ([]*pmosync.Source, error) {
	ks := kinds()
	var out []*pmosync.Source
	for _, s := range cfg.Sources {
		if only != "" && s.Name != only {
			continue
		}
		if s.Unusable != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, s.Unusable)
		}
		k := ks[s.Kind]
		conn, err := k.New(s.SourceConfig)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		base, err := mappings.Parse(filepath.Join("connectors", s.Kind, "mapping.yaml"), k.Mapping, nil)
		if err != nil {
			return nil, fmt.Errorf("built-in mapping for %s: %w", s.Kind, err)
		}
		m, text := base, k.Mapping
		if s.Mapping != "" {
			path := s.Mapping
			if !filepath.IsAbs(path) {
				path = filepath.Join(filepath.Dir(cfg.File), path)
			}
			own, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("source %s: mapping: %w", s.Name, err)
			}
			if m, err = mappings.Parse(path, own, base); err != nil {
				return nil, fmt.Errorf("source %s: %w", s.Name, err)
			}
			// The built-in part counts too: an upgrade that changes it re-maps.
			text = append(append(append([]byte{}, k.Mapping...), "\n---\n"...), own...)
		}
		out = append(out, &pmosync.Source{Config: s.SourceConfig, Connector: conn, Mapping: m, MappingText: text})
	}
	if only != "" && len(out) == 0 {
		return nil, fmt.Errorf("%s: no source named %q", cfg.File, only)
	}
	return out, nil
}
