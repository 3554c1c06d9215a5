// Package smartsheet syncs Smartsheet project plans and portfolio registers: typed cells
// by column type, row hierarchy, status transitions from stored-state diffs (or exact cell
// history where configured), version-gated so that an unchanged sheet costs one request.
package smartsheet

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

//go:embed mapping.yaml
var defaultMapping []byte

// Stream names.
const (
	StreamRows   = "rows"
	StreamSheets = "sheets"
)

// Kind describes the smartsheet source kind for the wiring.
func Kind() connectors.Kind {
	return connectors.Kind{Name: "smartsheet", New: func(src connectors.SourceConfig) (connectors.Connector, error) { return New(src) }, Mapping: defaultMapping}
}

// Connector is one configured smartsheet source.
type Connector struct {
	src  connectors.SourceConfig
	cfg  Config
	base string
	// Retry and Limiter tune the client; tests shorten waits, the demo may slow it down.
	Retry   Retry
	Limiter *Limiter

	mu         sync.Mutex
	meta       map[int64]*sheetMeta // what the rows stream learnt this run, for the sheets stream
	resolved   []SheetConfig
	resolvedAt time.Time
}

// sheetMeta is a sheet's header as last read.
type sheetMeta struct {
	view    *sheetView
	version int64
	sheet   *Sheet // nil when the sheet was unchanged (only the version is known)
}

// New builds a connector from its configuration.
func New(src connectors.SourceConfig) (*Connector, error) {
	var cfg Config
	if src.Settings != nil {
		if err := src.Settings.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("source %s: %w", src.Name, err)
		}
	}
	base, err := cfg.validate(src.URL)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	if strings.TrimSpace(src.Auth.Get("token")) == "" {
		return nil, fmt.Errorf("source %s: auth.token is required (a Smartsheet API access token)", src.Name)
	}
	return &Connector{src: src, cfg: cfg, base: base, Retry: DefaultRetry, Limiter: NewLimiter(cfg.RequestsPerMinute), meta: map[int64]*sheetMeta{}}, nil
}

// Streams lists rows before sheets: the sheets stream reuses what the rows stream read
// (and a register's stored rows) so it costs no extra requests.
func (c *Connector) Streams() []connectors.StreamInfo {
	return []connectors.StreamInfo{
		{Name: StreamRows, Description: "Sheet rows: typed cells by column title, hierarchy, contacts, predecessors and status history"},
		{Name: StreamSheets, Description: "Synced sheets: columns, version and project membership"},
	}
}

// run is one Sync call's context.
type run struct {
	*Connector
	client   *Client
	env      *connectors.Env
	log      *slog.Logger
	problems map[int64]int
	stored   map[string]uint64 // the rows stream's stored ids, read once per run
}

func (c *Connector) newRun(env *connectors.Env) *run {
	if env == nil {
		env = &connectors.Env{}
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("source", c.src.Name)
	client := NewClient(c.src.Name, c.base, c.src.Auth["token"], env.HTTP, c.Limiter, c.Retry, log)
	return &run{Connector: c, client: client, env: env, log: log, problems: map[int64]int{}}
}

// Sync reads one stream.
func (c *Connector) Sync(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	r := c.newRun(req.Env)
	switch req.Stream {
	case StreamRows:
		return r.syncRows(ctx, req, emit)
	case StreamSheets:
		return r.syncSheets(ctx, req, emit)
	}
	return fmt.Errorf("source %s: unknown stream %q (want rows or sheets)", c.src.Name, req.Stream)
}

// maxProblemLogs bounds warnings per sheet and run; the rest are counted.
const maxProblemLogs = 50

func (r *run) problem(v *sheetView, rowNumber int, rowID int64, column, kind, detail string) {
	r.problems[v.id]++
	if r.env != nil && r.env.Stats != nil {
		r.env.Stats.Problems.Add(1)
	}
	if r.problems[v.id] > maxProblemLogs {
		return
	}
	r.log.Warn("smartsheet cell problem", "sheet", v.ref(), "row", rowNumber, "row_id", rowID, "column", column, "problem", kind, "detail", detail)
}

// sheets resolves the configured sheets and the sheets of the configured workspaces.
func (r *run) sheets(ctx context.Context) ([]SheetConfig, error) {
	if len(r.cfg.Workspaces) == 0 {
		return r.cfg.Sheets, nil
	}
	r.mu.Lock()
	if r.resolved != nil && time.Since(r.resolvedAt) < 10*time.Minute {
		out := r.resolved
		r.mu.Unlock()
		return out, nil
	}
	r.mu.Unlock()
	all, err := r.client.Workspaces(ctx)
	if err != nil {
		return nil, err
	}
	out := append([]SheetConfig(nil), r.cfg.Sheets...)
	listed := map[int64]bool{}
	for _, s := range out {
		listed[s.ID] = true
	}
	for _, want := range r.cfg.Workspaces {
		var ws *Workspace
		for i := range all {
			if strings.EqualFold(all[i].Name, want) || strconv.FormatInt(all[i].ID, 10) == want {
				ws = &all[i]
				break
			}
		}
		if ws == nil {
			return nil, fmt.Errorf("source %s: workspace %q not found among the %d workspaces the token sees", r.src.Name, want, len(all))
		}
		full, err := r.client.Workspace(ctx, ws.ID)
		if err != nil {
			return nil, err
		}
		var walk func(w *Workspace)
		walk = func(w *Workspace) {
			for _, s := range w.Sheets {
				if !listed[s.ID] {
					listed[s.ID] = true
					out = append(out, SheetConfig{ID: s.ID, Entity: entityWorkItems, workspace: want})
				}
			}
			for i := range w.Folders {
				walk(&w.Folders[i])
			}
		}
		walk(full)
	}
	r.mu.Lock()
	r.resolved, r.resolvedAt = out, time.Now()
	r.mu.Unlock()
	return out, nil
}

func (c *Connector) remember(id int64, m *sheetMeta) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.meta[id] = m
}

func (c *Connector) recall(id int64) *sheetMeta {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.meta[id]
}

// fatal reports whether an error must stop the whole stream (no other sheet can succeed).
func fatal(ctx context.Context, err error) bool {
	return ctx.Err() != nil || IsAuthError(err) || errors.Is(err, context.Canceled)
}
