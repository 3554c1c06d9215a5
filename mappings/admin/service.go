// Package admin lets admins change a source's mapping safely: validate it against the
// stored records, preview the rows it would produce and how they differ from the
// warehouse, apply it (re-deriving the source's rows from the raw layer, no API calls,
// switched atomically), and keep every applied version for history and rollback. It
// serves the same operations over HTTP with an embedded admin page.
//
// The mapping in force for a source is the latest version applied here (kept in the
// warehouse's mapping_versions); before the first apply it is the config's `mapping:`
// file, or the kind's built-in mapping. UseApplied makes syncs honour that.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	stdsync "sync"
	"time"

	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
)

// Source is a configured source the service manages.
type Source struct {
	// Sync is the source the sync engine runs; Apply and Rollback update its Mapping and
	// MappingText. Its connector is not used here.
	Sync *pmosync.Source
	// Builtin is the kind's built-in mapping (connectors.Kind.Mapping).
	Builtin []byte
	// File is the config's mapping file (absolute), or "" for the built-in mapping.
	File string
}

// Service runs mapping administration against one warehouse.
type Service struct {
	wh      *warehouse.Warehouse
	engine  *pmosync.Engine
	log     *slog.Logger
	now     func() time.Time
	sources map[string]*Source
	names   []string
	applyMu stdsync.Mutex // one apply at a time: versions are numbered max+1

	hashMu     stdsync.Mutex
	hashStored map[*warehouse.Table]bool // whether a table's row_hash can be read (hashdiff.go)
}

// New returns a service over the given sources. engine re-maps on apply.
func New(engine *pmosync.Engine, sources []*Source, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Service{wh: engine.WH, engine: engine, log: logger, now: time.Now, sources: map[string]*Source{}}
	for _, src := range sources {
		s.sources[src.Sync.Name()] = src
		s.names = append(s.names, src.Sync.Name())
	}
	sort.Strings(s.names)
	return s
}

// ErrUnknownSource is returned for a source name the service does not manage.
var ErrUnknownSource = errors.New("no such source")

// InvalidError is returned when a mapping has problems; nothing was applied.
type InvalidError struct {
	Source   string
	Problems []mappings.Diagnostic
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("mapping of %s has %d problems; nothing applied", e.Source, len(e.Problems))
}

func (s *Service) source(name string) (*Source, error) {
	src, ok := s.sources[name]
	if !ok {
		return nil, fmt.Errorf("source %q: %w", name, ErrUnknownSource)
	}
	return src, nil
}

// SourceInfo describes a source and its mapping in force.
type SourceInfo struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Origin     string `json:"origin"` // applied, file or built-in
	Version    uint32 `json:"version,omitempty"`
	Generation uint32 `json:"generation"`
}

// Sources lists the managed sources.
func (s *Service) Sources(ctx context.Context) ([]SourceInfo, error) {
	out := make([]SourceInfo, 0, len(s.names))
	for _, n := range s.names {
		cur, err := s.Current(ctx, n)
		if err != nil {
			return nil, err
		}
		g, _, err := s.wh.ActiveGeneration(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, SourceInfo{Name: n, Kind: cur.Kind, Origin: cur.Origin, Version: cur.Version, Generation: g.Generation})
	}
	return out, nil
}

// Current is a source's mapping in force.
type Current struct {
	Source  string `json:"source"`
	Kind    string `json:"kind"`
	Origin  string `json:"origin"`
	Version uint32 `json:"version,omitempty"`
	File    string `json:"file,omitempty"`
	Text    string `json:"text"`
}

// Current returns the text of the mapping in force.
func (s *Service) Current(ctx context.Context, name string) (Current, error) {
	src, err := s.source(name)
	if err != nil {
		return Current{}, err
	}
	cur := Current{Source: name, Kind: src.Sync.Config.Kind}
	latest, ok, err := latestVersion(ctx, s.wh, name)
	if err != nil {
		return cur, err
	}
	switch {
	case ok:
		cur.Origin, cur.Version, cur.Text = "applied", latest.Version, latest.Text
	case src.File != "":
		data, err := os.ReadFile(src.File)
		if err != nil {
			return cur, fmt.Errorf("source %s: mapping: %w", name, err)
		}
		cur.Origin, cur.File, cur.Text = "file", src.File, string(data)
	default:
		cur.Origin, cur.Text = "built-in", string(src.Builtin)
	}
	return cur, nil
}

// Combined is the text hashed to notice a changed mapping: the built-in part counts too,
// so an upgrade that changes it re-maps (the same rule as for mapping files).
func Combined(builtin, own []byte) []byte {
	return append(append(append([]byte{}, builtin...), "\n---\n"...), own...)
}

// fileName names a mapping text in problems.
func fileName(source string) string { return source + ".yaml" }

func (s *Service) env(src *Source) mappings.Env {
	c := src.Sync.Config
	return mappings.Env{Tenant: s.wh.Tenant(), Source: c.Name, SourceKind: c.Kind, SourceURL: c.URL}
}

// parse checks text as the source's mapping and returns the parsed mapping and a mapper.
func (s *Service) parse(src *Source, text []byte) (*mappings.Mapping, *mappings.Mapper, []mappings.Diagnostic, error) {
	base, err := builtinOf(src)
	if err != nil {
		return nil, nil, nil, err
	}
	mp, diags := mappings.Check(fileName(src.Sync.Name()), text, base, s.env(src))
	if len(diags) > 0 {
		return nil, nil, diags, nil
	}
	m, err := mappings.Parse(fileName(src.Sync.Name()), text, base)
	return m, mp, nil, err
}

func builtinOf(src *Source) (*mappings.Mapping, error) {
	if len(src.Builtin) == 0 {
		return nil, nil
	}
	base, err := mappings.DefaultFor(src.Sync.Config.Kind, src.Builtin)
	if err != nil {
		return nil, fmt.Errorf("built-in mapping of %s: %w", src.Sync.Config.Kind, err)
	}
	return base, nil
}

// ApplyResult says what an apply (or rollback) did.
type ApplyResult struct {
	Source     string   `json:"source"`
	Version    uint32   `json:"version"`
	Generation uint32   `json:"generation"`
	Records    int64    `json:"records"`
	Rows       int64    `json:"rows"`
	Problems   int64    `json:"problems"`
	Changes    []string `json:"changes"`
	Note       string   `json:"note"`
}

// Apply validates text, re-derives the source's canonical rows from the raw layer with it
// (no API calls; analysts see the old rows until the new generation is complete) and
// records it as the source's next mapping version. A mapping with errors, in the file or
// against the stored records (what Validate reports as errors: a value left unmapped with
// no default, a required column the stored tables lack), is refused with *InvalidError
// and nothing changes; warnings do not stop it.
func (s *Service) Apply(ctx context.Context, name string, text []byte, by, note string) (ApplyResult, error) {
	return s.apply(ctx, name, text, by, note, true)
}

// apply is Apply; checkData false skips the check against stored records (rollback: an
// applied version goes back in force even if the data has since moved under it).
func (s *Service) apply(ctx context.Context, name string, text []byte, by, note string, checkData bool) (ApplyResult, error) {
	src, err := s.source(name)
	if err != nil {
		return ApplyResult{}, err
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	m, mp, diags, err := s.parse(src, text)
	if err != nil {
		return ApplyResult{}, err
	}
	if errs := onlyErrors(diags); len(errs) > 0 {
		return ApplyResult{}, &InvalidError{Source: name, Problems: errs}
	}
	if checkData {
		// An error sample computes only the fields whose problems are errors (value maps
		// without a default) and checks required columns: cheaper than a validate.
		if err := loadLookups(ctx, s.wh, name, mp); err != nil {
			return ApplyResult{}, err
		}
		sample, err := s.mapStored(ctx, name, mp.NewErrorSample, nil)
		if err != nil {
			return ApplyResult{}, err
		}
		if errs := onlyErrors(sample.Diagnostics()); len(errs) > 0 {
			return ApplyResult{}, &InvalidError{Source: name, Problems: errs}
		}
	}
	res := ApplyResult{Source: name}
	if src.Sync.Mapping != nil {
		res.Changes = mappings.Changes(src.Sync.Mapping, m)
	}
	if note == "" {
		note = summary(res.Changes)
	}
	res.Note = note
	versions, err := History(ctx, s.wh, name)
	if err != nil {
		return res, err
	}
	if len(versions) == 0 {
		// Keep what was in force before the first apply, so that it can be rolled back to.
		if err := s.recordOriginal(ctx, src); err != nil {
			return res, err
		}
		if versions, err = History(ctx, s.wh, name); err != nil {
			return res, err
		}
	}
	combined := Combined(src.Builtin, text)
	rr, err := s.engine.RemapWith(ctx, src.Sync, m, combined)
	if err != nil {
		return res, fmt.Errorf("re-mapping %s: %w", name, err)
	}
	res.Generation, res.Records, res.Rows, res.Problems = rr.Generation, rr.Records, rr.Rows, rr.Problems
	res.Version = 1
	if len(versions) > 0 {
		res.Version = versions[0].Version + 1
	}
	// Recorded after the re-mapping: if recording failed, the next sync would see the
	// recorded mapping's hash differ and re-map back, so history and rows cannot disagree.
	if err := s.record(ctx, name, res.Version, text, src.Sync.MappingHash(), rr.Generation, by, note); err != nil {
		return res, err
	}
	s.log.Info("mapping applied", "source", name, "version", res.Version, "generation", res.Generation,
		"records", res.Records, "rows", res.Rows, "problems", res.Problems, "by", by)
	return res, nil
}

// Rollback applies an earlier version again, as a new version (history stays linear).
// to 0 means the version before the latest. Only the file is checked: an undo is not
// refused because stored records now show values the old version leaves unmapped.
func (s *Service) Rollback(ctx context.Context, name string, to uint32, by string) (ApplyResult, error) {
	if _, err := s.source(name); err != nil {
		return ApplyResult{}, err
	}
	versions, err := History(ctx, s.wh, name)
	if err != nil {
		return ApplyResult{}, err
	}
	if to == 0 {
		if len(versions) < 2 {
			return ApplyResult{}, fmt.Errorf("source %s: no earlier mapping version to roll back to", name)
		}
		to = versions[1].Version
	}
	v, ok, err := VersionText(ctx, s.wh, name, to)
	if err != nil {
		return ApplyResult{}, err
	}
	if !ok {
		return ApplyResult{}, fmt.Errorf("source %s: no mapping version %d", name, to)
	}
	return s.apply(ctx, name, []byte(v.Text), by, fmt.Sprintf("rollback to version %d", to), false)
}

func (s *Service) recordOriginal(ctx context.Context, src *Source) error {
	cur, err := s.Current(ctx, src.Sync.Name())
	if err != nil {
		return err
	}
	g, _, err := s.wh.ActiveGeneration(ctx, src.Sync.Name())
	if err != nil {
		return err
	}
	return s.record(ctx, src.Sync.Name(), 1, []byte(cur.Text), src.Sync.MappingHash(), g.Generation, "pmohub",
		"the "+cur.Origin+" mapping in force before the first apply")
}

func (s *Service) record(ctx context.Context, source string, version uint32, text []byte, hash string, gen uint32, by, note string) error {
	if by == "" {
		by = "unknown"
	}
	now := s.now().UTC()
	row := warehouse.Row{s.wh.Tenant(), source, version, string(text), hash, gen, by, now, note, uint64(now.UnixNano()), uint8(0)}
	if err := s.wh.Insert(ctx, warehouse.MappingVersions, []warehouse.Row{row}); err != nil {
		return fmt.Errorf("recording mapping version %d of %s: %w", version, source, err)
	}
	return nil
}

func onlyErrors(diags []mappings.Diagnostic) []mappings.Diagnostic {
	var out []mappings.Diagnostic
	for _, d := range diags {
		if !d.Warning {
			out = append(out, d)
		}
	}
	return out
}

func summary(changes []string) string {
	switch len(changes) {
	case 0:
		return "no change to entities or fields"
	case 1, 2, 3, 4:
		return joinComma(changes)
	}
	return joinComma(changes[:4]) + fmt.Sprintf(" and %d more", len(changes)-4)
}

func joinComma(l []string) string {
	out := ""
	for i, s := range l {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
