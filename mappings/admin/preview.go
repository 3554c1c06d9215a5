package admin

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// Problem is a mapping problem as the API and the page show it.
type Problem struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Key      string `json:"key,omitempty"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
	Severity string `json:"severity"` // error or warning
	Text     string `json:"text"`     // the one-line form: file:line:col: key: message (hint)
}

// Problems converts diagnostics.
func Problems(diags []mappings.Diagnostic) []Problem {
	out := make([]Problem, len(diags))
	for i, d := range diags {
		sev := "error"
		if d.Warning {
			sev = "warning"
		}
		out[i] = Problem{Line: d.Pos.Line, Column: d.Pos.Column, Key: d.Key, Message: d.Message, Hint: d.Hint, Severity: sev, Text: d.String()}
	}
	return out
}

// Report is the outcome of validating a mapping against a source's stored records.
type Report struct {
	Source   string         `json:"source"`
	Valid    bool           `json:"valid"` // no errors (warnings allowed): it can be applied
	Errors   int            `json:"errors"`
	Warnings int            `json:"warnings"`
	Problems []Problem      `json:"problems"`
	Records  map[string]int `json:"records"` // stored records mapped, per stream

	diags []mappings.Diagnostic
}

// Diagnostics returns the problems as the mapping package reports them.
func (r *Report) Diagnostics() []mappings.Diagnostic { return r.diags }

func newReport(source string, diags []mappings.Diagnostic) *Report {
	r := &Report{Source: source, Problems: Problems(diags), diags: diags, Records: map[string]int{}}
	for _, d := range diags {
		if d.Warning {
			r.Warnings++
		} else {
			r.Errors++
		}
	}
	r.Valid = r.Errors == 0
	return r
}

// Validate checks text as the source's mapping: the file itself, then against every
// stored record (paths that never match, values the value maps leave unmapped).
func (s *Service) Validate(ctx context.Context, name string, text []byte) (*Report, error) {
	p, err := s.run(ctx, name, text, 0, false)
	if err != nil {
		return nil, err
	}
	return &p.Report, nil
}

// Preview is what a mapping would do to a source, computed from the stored records
// without writing anything.
type Preview struct {
	Report
	Rows     map[string][]map[string]string `json:"rows"` // the first rows per entity
	Diff     []TableDiff                    `json:"diff"`
	Unmapped []mappings.Unmapped            `json:"unmapped"`
	Counts   []mappings.ProblemCount        `json:"problem_counts"`
	Examples []mappings.Problem             `json:"problem_examples"`
}

// TableDiff compares an entity's rows with what the warehouse holds for the source now.
type TableDiff struct {
	Table     string      `json:"table"`
	Added     int         `json:"added"`
	Removed   int         `json:"removed"`
	Changed   int         `json:"changed"`
	Unchanged int         `json:"unchanged"`
	Examples  []RowChange `json:"examples"`
}

// RowChange is one row that differs.
type RowChange struct {
	Change  string        `json:"change"` // added, removed or changed
	Key     string        `json:"key"`
	Changes []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field that differs.
type FieldChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// DefaultLimit is how many rows and changes per entity a preview shows.
const DefaultLimit = 20

// Preview maps the source's stored records with text (nil: the mapping in force) and
// reports the rows, the diff against the warehouse and the unmapped values. limit bounds
// the rows and examples shown per entity; everything is counted.
func (s *Service) Preview(ctx context.Context, name string, text []byte, limit int) (*Preview, error) {
	if text == nil {
		cur, err := s.Current(ctx, name)
		if err != nil {
			return nil, err
		}
		text = []byte(cur.Text)
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	return s.run(ctx, name, text, limit, true)
}

func (s *Service) run(ctx context.Context, name string, text []byte, limit int, diff bool) (*Preview, error) {
	src, err := s.source(name)
	if err != nil {
		return nil, err
	}
	_, mp, diags, err := s.parse(src, text)
	if err != nil {
		return nil, err
	}
	p := &Preview{Rows: map[string][]map[string]string{}}
	if mp == nil {
		p.Report = *newReport(name, diags)
		return p, nil
	}
	if err := loadLookups(ctx, s.wh, name, mp); err != nil {
		return nil, err
	}
	var d *differ
	if diff {
		if d, err = s.newDiffer(ctx, name, limit); err != nil {
			return nil, err
		}
	}
	sample := mp.NewSample()
	for _, stream := range mp.Streams() {
		err := s.wh.RawRecords(ctx, name, stream, nil, func(sr warehouse.StoredRaw) error {
			rows, _ := sample.Map(mappings.Record{Stream: stream, NativeID: sr.NativeID, Payload: sr.Payload})
			if d != nil {
				for _, r := range rows {
					d.add(r, p, limit)
				}
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("reading stored %s records of %s: %w", stream, name, err)
		}
	}
	p.Report = *newReport(name, sample.Diagnostics())
	p.Records = sample.Records()
	p.Unmapped = sample.Unmapped()
	p.Counts = sample.Problems()
	p.Examples = sample.ProblemExamples()
	if d != nil {
		p.Diff = d.finish()
	}
	return p, nil
}

// loadLookups gives the mapper its lookup streams as stored (as the sync engine does).
func loadLookups(ctx context.Context, wh *warehouse.Warehouse, source string, mp *mappings.Mapper) error {
	for _, st := range mp.LookupStreams() {
		var recs []connectors.StoredRecord
		err := wh.RawRecords(ctx, source, st, nil, func(sr warehouse.StoredRaw) error {
			recs = append(recs, connectors.StoredRecord{NativeID: sr.NativeID, Version: sr.Version, Payload: sr.Payload})
			return nil
		})
		if err != nil {
			return err
		}
		if err := mp.SetLookup(st, recs); err != nil {
			return fmt.Errorf("lookup stream %s: %w", st, err)
		}
	}
	return nil
}

// differ compares produced rows with the rows of the source's active generation.
type differ struct {
	have  map[*warehouse.Table]map[string][]string // key → formatted values, removed when seen
	seen  map[*warehouse.Table]map[string]bool
	stats map[*warehouse.Table]*TableDiff
	limit int
}

func (s *Service) newDiffer(ctx context.Context, source string, limit int) (*differ, error) {
	d := &differ{have: map[*warehouse.Table]map[string][]string{}, seen: map[*warehouse.Table]map[string]bool{}, stats: map[*warehouse.Table]*TableDiff{}, limit: limit}
	g, ok, err := s.wh.ActiveGeneration(ctx, source)
	if err != nil {
		return nil, err
	}
	for _, t := range warehouse.Canonical {
		d.have[t] = map[string][]string{}
		d.seen[t] = map[string]bool{}
		d.stats[t] = &TableDiff{Table: t.Name}
		if !ok {
			continue
		}
		if err := s.loadCurrent(ctx, t, source, g.Generation, d.have[t]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// loadCurrent reads the rows the mapping in force produced (the storage of the active
// generation, not the views: work_items' view re-targets project_id through registers).
func (s *Service) loadCurrent(ctx context.Context, t *warehouse.Table, source string, gen uint32, into map[string][]string) error {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = "`" + c.Name + "`"
	}
	q := fmt.Sprintf("SELECT %s FROM %s FINAL WHERE tenant = %s AND source = %s AND generation = %d AND is_deleted = 0",
		strings.Join(cols, ", "), s.wh.Layout().Q(t.Storage()), warehouse.Lit(s.wh.Tenant()), warehouse.Lit(source), gen)
	var rows []map[string]any
	if err := s.wh.QueryInto(ctx, q, &rows); err != nil {
		return fmt.Errorf("reading current %s of %s: %w", t.Name, source, err)
	}
	keyIdx := keyIndexes(t)
	for _, r := range rows {
		vals := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			vals[i] = formatStored(c.Type, r[c.Name])
		}
		into[joinKey(vals, keyIdx)] = vals
	}
	return nil
}

func keyIndexes(t *warehouse.Table) []int {
	out := make([]int, len(t.Key))
	for i, k := range t.Key {
		for j, c := range t.Columns {
			if c.Name == k {
				out[i] = j
			}
		}
	}
	return out
}

func joinKey(vals []string, idx []int) string {
	parts := make([]string, len(idx))
	for i, j := range idx {
		parts[i] = vals[j]
	}
	return strings.Join(parts, "\x00")
}

func (d *differ) add(r mappings.Row, p *Preview, limit int) {
	t := r.Table
	if d.seen[t][r.Key] {
		return // the same row from another record (a shared person)
	}
	d.seen[t][r.Key] = true
	vals := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		vals[i] = formatMapped(c.Type, r.Values[i])
	}
	if len(p.Rows[t.Name]) < limit {
		m := make(map[string]string, len(vals))
		for i, c := range t.Columns {
			if vals[i] != "" {
				m[c.Name] = vals[i]
			}
		}
		p.Rows[t.Name] = append(p.Rows[t.Name], m)
	}
	st := d.stats[t]
	key := strings.ReplaceAll(r.Key, "\x00", " | ")
	old, ok := d.have[t][r.Key]
	if !ok {
		st.Added++
		if len(st.Examples) < limit {
			st.Examples = append(st.Examples, RowChange{Change: "added", Key: key})
		}
		return
	}
	delete(d.have[t], r.Key)
	var changes []FieldChange
	for i, c := range t.Columns {
		if old[i] != vals[i] {
			changes = append(changes, FieldChange{Field: c.Name, Before: old[i], After: vals[i]})
		}
	}
	if len(changes) == 0 {
		st.Unchanged++
		return
	}
	st.Changed++
	if len(st.Examples) < limit {
		st.Examples = append(st.Examples, RowChange{Change: "changed", Key: key, Changes: changes})
	}
}

func (d *differ) finish() []TableDiff {
	var out []TableDiff
	for _, t := range warehouse.Canonical {
		st := d.stats[t]
		removed := make([]string, 0, len(d.have[t]))
		for k := range d.have[t] {
			removed = append(removed, k)
		}
		sort.Strings(removed)
		st.Removed = len(removed)
		for _, k := range removed[:min(len(removed), d.limit)] {
			st.Examples = append(st.Examples, RowChange{Change: "removed", Key: strings.ReplaceAll(k, "\x00", " | ")})
		}
		if st.Added+st.Removed+st.Changed+st.Unchanged > 0 {
			out = append(out, *st)
		}
	}
	return out
}
