package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/mappings/admin"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/sync/config"
	"github.com/pmohub/pmohub/warehouse"
)

const mappingsUsage = `Usage: pmohub mappings COMMAND [flags]

  validate [--source NAME | [--kind KIND] FILE]   list every problem (file, line, column, hint);
                                                   with --source, also against the stored records
  preview  --source NAME [--limit N] [FILE]        rows, diff against the warehouse, unmapped values
  apply    --source NAME [FILE] [--note TEXT]      validate, re-map from the raw layer, record a version
  history  --source NAME                           applied versions, newest first
  rollback --source NAME [--to VERSION]            apply an earlier version again (default: the previous)
  schema                                           JSON Schema of the mapping format

Without FILE, preview uses the mapping in force and apply the source's mapping: file.
The latest applied version is the source's mapping from then on (it overrides mapping:).
`

// mappings runs `pmohub mappings …`. Problems exit 1; nothing is applied when a mapping
// has errors.
func (a *app) mappings(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(a.stderr, mappingsUsage)
		if len(args) == 0 {
			return &exitError{code: 2}
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("pmohub mappings "+cmd, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() { fmt.Fprint(a.stderr, mappingsUsage) }
	source := fs.String("source", "", "source name")
	kind := fs.String("kind", "", "source kind whose built-in mapping FILE extends")
	limit := fs.Int("limit", admin.DefaultLimit, "rows and changes shown per entity")
	note := fs.String("note", "", "why (kept in the history)")
	to := fs.Uint("to", 0, "version to roll back to")
	files, err := parseInterleaved(fs, rest)
	if err != nil {
		return &exitError{code: 2}
	}
	if len(files) > 1 {
		return &exitError{code: 2, err: fmt.Errorf("mappings %s: one FILE at most, got %s", cmd, strings.Join(files, " "))}
	}
	file := ""
	if len(files) == 1 {
		file = files[0]
	}
	if cmd == "schema" {
		b, err := mappings.JSONSchema()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.stdout, string(b))
		return err
	}
	if cmd == "validate" && *source == "" {
		return a.validateFile(file, *kind)
	}
	switch cmd {
	case "validate", "preview", "apply", "history", "rollback":
	default:
		fmt.Fprintf(a.stderr, "pmohub mappings: unknown command %q\n\n%s", cmd, mappingsUsage)
		return &exitError{code: 2}
	}
	if *source == "" {
		return &exitError{code: 2, err: fmt.Errorf("mappings %s: --source NAME is required", cmd)}
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	wh, err := a.openWarehouse(ctx, cfg)
	if err != nil {
		return err
	}
	defer wh.Close()
	svc, srcs, err := a.mappingService(cfg, wh)
	if err != nil {
		return err
	}
	if _, ok := srcs[*source]; !ok {
		return &exitError{code: 2, err: fmt.Errorf("%s: no source named %q", cfg.File, *source)}
	}
	var text []byte
	if file != "" {
		if text, err = os.ReadFile(file); err != nil {
			return err
		}
	}
	switch cmd {
	case "validate":
		if text == nil {
			cur, err := svc.Current(ctx, *source)
			if err != nil {
				return err
			}
			text = []byte(cur.Text)
		}
		r, err := svc.Validate(ctx, *source, text)
		if err != nil {
			return err
		}
		return a.printReport(r, file)
	case "preview":
		p, err := svc.Preview(ctx, *source, text, *limit)
		if err != nil {
			return err
		}
		return a.printPreview(p, file)
	case "apply":
		if text == nil {
			f := srcs[*source].File
			if f == "" {
				return &exitError{code: 2, err: fmt.Errorf("source %s has no mapping: file; name the FILE to apply", *source)}
			}
			if text, err = os.ReadFile(f); err != nil {
				return err
			}
			file = f
		}
		res, err := svc.Apply(ctx, *source, text, whoAmI(), *note)
		return a.printApplied(res, err, file)
	case "history":
		hist, err := admin.History(ctx, wh, *source)
		if err != nil {
			return err
		}
		if len(hist) == 0 {
			fmt.Fprintf(a.stdout, "%s: no mapping applied yet; the mapping in force comes from the config\n", *source)
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tAPPLIED AT\tBY\tGENERATION\tNOTE")
		for _, v := range hist {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", v.Version, v.AppliedAt.UTC().Format("2006-01-02 15:04:05Z"), v.AppliedBy, v.Generation, v.Note)
		}
		return tw.Flush()
	case "rollback":
		res, err := svc.Rollback(ctx, *source, uint32(*to), whoAmI())
		return a.printApplied(res, err, "")
	}
	return nil
}

// parseInterleaved parses flags that may come after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// mappingService builds the admin service over the configured sources (no connectors:
// mappings need no credentials).
func (a *app) mappingService(cfg *config.Config, wh *warehouse.Warehouse) (*admin.Service, map[string]*admin.Source, error) {
	ks := kinds()
	byName := map[string]*admin.Source{}
	var list []*admin.Source
	for _, s := range cfg.Sources {
		k := ks[s.Kind]
		builtin := k.Mapping
		m, err := mappings.Parse(filepath.Join("connectors", s.Kind, "mapping.yaml"), builtin, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("built-in mapping for %s: %w", s.Kind, err)
		}
		text, file := builtin, ""
		if s.Mapping != "" {
			file = s.Mapping
			if !filepath.IsAbs(file) {
				file = filepath.Join(filepath.Dir(cfg.File), file)
			}
			own, err := os.ReadFile(file)
			if err != nil {
				return nil, nil, fmt.Errorf("source %s: mapping: %w", s.Name, err)
			}
			if m, err = mappings.Parse(file, own, m); err != nil {
				return nil, nil, fmt.Errorf("source %s: %w", s.Name, err)
			}
			text = admin.Combined(builtin, own)
		}
		src := &admin.Source{Sync: &pmosync.Source{Config: s.SourceConfig, Mapping: m, MappingText: text}, Builtin: builtin, File: file}
		byName[s.Name] = src
		list = append(list, src)
	}
	engine := &pmosync.Engine{WH: wh, Logger: a.logger}
	svc := admin.New(engine, list, a.logger)
	ctx := context.Background()
	var syncs []*pmosync.Source
	for _, s := range list {
		syncs = append(syncs, s.Sync)
	}
	if err := a.useAppliedMappings(ctx, wh, syncs); err != nil {
		return nil, nil, err
	}
	return svc, byName, nil
}

// useAppliedMappings makes each source's mapping the latest version applied with
// `pmohub mappings apply` (or the admin page), so that syncs honour it. `pmohub sync` and
// the server call it after buildSources.
func (a *app) useAppliedMappings(ctx context.Context, wh *warehouse.Warehouse, sources []*pmosync.Source) error {
	ks := kinds()
	return admin.UseApplied(ctx, wh, sources, func(kind string) []byte { return ks[kind].Mapping })
}

// validateFile checks a file on its own (no warehouse): syntax, format, CEL.
func (a *app) validateFile(file, kind string) error {
	if file == "" {
		return &exitError{code: 2, err: errors.New("mappings validate: name a FILE or --source NAME")}
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var base *mappings.Mapping
	if kind != "" {
		k, ok := kinds()[kind]
		if !ok {
			return &exitError{code: 2, err: fmt.Errorf("unknown kind %q (kinds: %s)", kind, strings.Join(kindNames(), ", "))}
		}
		if base, err = mappings.DefaultFor(kind, k.Mapping); err != nil {
			return err
		}
	}
	_, diags := mappings.Check(file, text, base, mappings.Env{Tenant: "default", Source: "source", SourceKind: kind})
	if len(diags) == 0 {
		fmt.Fprintf(a.stdout, "%s: valid\n", file)
		return nil
	}
	for _, d := range diags {
		fmt.Fprintln(a.stdout, d.String())
	}
	return &exitError{code: 1, err: fmt.Errorf("%s: %d problems", file, len(diags))}
}

// renamed shows the admin's file name in place of the name the service gives the text it
// was handed (<source>.yaml); problems in the built-in mapping it extends keep theirs.
func renamed(d mappings.Diagnostic, file, source string) string {
	s := d.String()
	if file != "" && d.Pos.File == source+".yaml" {
		if rest, ok := strings.CutPrefix(s, d.Pos.File); ok {
			return file + rest
		}
	}
	return s
}

func (a *app) printReport(r *admin.Report, file string) error {
	for _, d := range r.Diagnostics() {
		fmt.Fprintln(a.stdout, renamed(d, file, r.Source))
	}
	streams := make([]string, 0, len(r.Records))
	for s, n := range r.Records {
		streams = append(streams, fmt.Sprintf("%d %s", n, s))
	}
	sort.Strings(streams)
	checked := "checked against " + strings.Join(streams, ", ")
	if len(streams) == 0 {
		checked = "no stored records to check against"
	}
	if len(r.Problems) == 0 {
		fmt.Fprintf(a.stdout, "%s: valid (%s)\n", r.Source, checked)
		return nil
	}
	return &exitError{code: 1, err: fmt.Errorf("%s: %d errors, %d warnings (%s)", r.Source, r.Errors, r.Warnings, checked)}
}

func (a *app) printPreview(p *admin.Preview, file string) error {
	w := a.stdout
	for _, d := range p.Diagnostics() {
		fmt.Fprintln(w, renamed(d, file, p.Source))
	}
	if !p.Valid {
		return &exitError{code: 1, err: fmt.Errorf("%s: %d errors; nothing to preview", p.Source, p.Errors)}
	}
	fmt.Fprintln(w, "\nDifference from the warehouse:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ENTITY\tADDED\tREMOVED\tCHANGED\tUNCHANGED\t")
	for _, d := range p.Diff {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", d.Table, d.Added, d.Removed, d.Changed, d.Unchanged)
	}
	tw.Flush()
	for _, d := range p.Diff {
		for _, c := range d.Examples {
			fmt.Fprintf(w, "  %s %s %s\n", d.Table, c.Change, c.Key)
			for _, f := range c.Changes {
				fmt.Fprintf(w, "      %s: %q → %q\n", f.Field, f.Before, f.After)
			}
		}
	}
	if len(p.Unmapped) > 0 {
		fmt.Fprintln(w, "\nUnmapped values:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FIELD\tVALUE\tCOUNT\tBECAME")
		for _, u := range p.Unmapped {
			became := u.Default
			if became == "" {
				became = "(empty)"
			}
			fmt.Fprintf(tw, "%s.%s\t%s\t%d\t%s\n", u.Entity, u.Field, u.Value, u.Count, became)
		}
		tw.Flush()
	}
	if len(p.Counts) > 0 {
		fmt.Fprintln(w, "\nProblems while mapping:")
		for _, c := range p.Counts {
			fmt.Fprintf(w, "  %6d  %s.%s: %s\n", c.Count, c.Entity, c.Field, c.Message)
		}
	}
	tables := make([]string, 0, len(p.Rows))
	for t := range p.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(w, "\n%s (first %d rows):\n", t, len(p.Rows[t]))
		for _, r := range p.Rows[t] {
			printRow(w, r)
		}
	}
	return nil
}

func printRow(w io.Writer, r map[string]string) {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + r[k]
	}
	fmt.Fprintln(w, "  "+strings.Join(parts, "  "))
}

func (a *app) printApplied(res admin.ApplyResult, err error, file string) error {
	var inv *admin.InvalidError
	if errors.As(err, &inv) {
		for _, d := range inv.Problems {
			fmt.Fprintln(a.stdout, renamed(d, file, inv.Source))
		}
		return &exitError{code: 1, err: err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: applied mapping version %d (generation %d): %d rows from %d stored records, %d problems, no API calls\n  %s\n",
		res.Source, res.Version, res.Generation, res.Rows, res.Records, res.Problems, res.Note)
	return nil
}

func whoAmI() string {
	for _, v := range []string{"PMOHUB_USER", "USER", "USERNAME"} {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	return "cli"
}

// mappingAdmin is the admin service over the sources the server's scheduler runs (the
// same *pmosync.Source values, so an apply updates what the next scheduled sync uses).
// Mount svc.Handler(who) for /api/v1/mappings/ and /admin/mappings/.
func (a *app) mappingAdmin(cfg *config.Config, engine *pmosync.Engine, sources []*pmosync.Source) *admin.Service {
	ks := kinds()
	files := map[string]string{}
	for _, s := range cfg.Sources {
		if s.Mapping != "" {
			f := s.Mapping
			if !filepath.IsAbs(f) {
				f = filepath.Join(filepath.Dir(cfg.File), f)
			}
			files[s.Name] = f
		}
	}
	list := make([]*admin.Source, 0, len(sources))
	for _, s := range sources {
		list = append(list, &admin.Source{Sync: s, Builtin: ks[s.Config.Kind].Mapping, File: files[s.Name()]})
	}
	return admin.New(engine, list, a.logger)
}
