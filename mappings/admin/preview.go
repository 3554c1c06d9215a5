package admin

import (
	"context"
	"fmt"
	"slices"
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
	defer raiseGCTarget()()
	if err := loadLookups(ctx, s.wh, name, mp); err != nil {
		return nil, err
	}
	// The current rows load while the first records are read and mapped.
	var d *differ
	var derr error
	ready := make(chan struct{})
	if diff {
		go func() {
			defer close(ready)
			d, derr = s.newDiffer(ctx, name, limit)
		}()
	} else {
		close(ready)
	}
	// validate needs only the diagnostics: a check sample skips the fields they do not read
	newSample := mp.NewCheckSample
	var row func(mappedRow) error
	// Rows mapped before the current rows are loaded wait in pending, so that mapping
	// never stalls on the load.
	var pending []mappedRow
	waiting := diff
	flush := func() error {
		waiting = false
		if derr != nil {
			return derr
		}
		for _, r := range pending {
			if err := d.add(r, p, limit); err != nil {
				return err
			}
		}
		pending = nil
		return nil
	}
	if diff {
		newSample, row = mp.NewSample, func(r mappedRow) error {
			if waiting {
				select {
				case <-ready:
					if err := flush(); err != nil {
						return err
					}
				default:
					pending = append(pending, r)
					return nil
				}
			}
			return d.add(r, p, limit)
		}
	}
	sample, err := s.mapStored(ctx, name, newSample, row)
	<-ready
	if err == nil && waiting {
		err = flush()
	}
	if err == nil {
		err = derr
	}
	if err != nil {
		return nil, err
	}
	p.Report = *newReport(name, sample.Diagnostics())
	p.Records = sample.Records()
	p.Unmapped = sample.Unmapped()
	p.Counts = sample.Problems()
	p.Examples = sample.ProblemExamples()
	if d != nil {
		if err := s.settleHashed(ctx, d); err != nil {
			return nil, err
		}
		p.Diff = d.finish()
	}
	return p, nil
}

// mapStored maps the source's stored records into samples of newSample (one per chunk,
// merged) and returns what they saw. row, if not nil, gets every row, prepared for the
// diff, in record order.
func (s *Service) mapStored(ctx context.Context, name string, newSample func() *mappings.Sample, row func(mappedRow) error) (*mappings.Sample, error) {
	diff := row != nil
	sample := newSample()
	for _, stream := range sample.Streams() {
		// Chunks of records are mapped (and their rows formatted) on every core, each into
		// a sample of its own; the chunks are merged and diffed in order, so the outcome is
		// that of one serial pass.
		type chunk struct {
			sample *mappings.Sample
			rows   []mappedRow // when diffing
		}
		feed := func(send func([]warehouse.StoredRaw) error) error {
			return s.wh.RawChunks(ctx, name, stream, sampleChunk, send)
		}
		work := func(recs []warehouse.StoredRaw) chunk {
			c := chunk{sample: newSample()}
			var arena []byte
			for _, sr := range recs {
				rows, _ := c.sample.Map(mappings.Record{Stream: stream, NativeID: sr.NativeID, Payload: sr.Payload, Text: sr.Text})
				if diff {
					first := c.rows == nil
					if first {
						c.rows = make([]mappedRow, 0, (len(rows)+1)*len(recs))
						arena = make([]byte, 0, 64<<10)
					}
					for _, r := range rows {
						c.rows = append(c.rows, prepare(r, &arena))
					}
					if first { // the first record's rows size the chunk's buffer
						arena = slices.Grow(arena, len(arena)*len(recs)*5/4)
					}
				}
			}
			return c
		}
		emit := func(c chunk) error {
			sample.Merge(c.sample)
			for _, r := range c.rows {
				if err := row(r); err != nil {
					return err
				}
			}
			return nil
		}
		if err := mappings.InOrder(ctx, feed, work, emit); err != nil {
			return nil, fmt.Errorf("reading stored %s records of %s: %w", stream, name, err)
		}
	}
	return sample, nil
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

// sampleChunk is how many records one preview task maps.
const sampleChunk = 1000

// formatRow gives a mapped row's values as the diff compares them.
func formatRow(r mappings.Row) []string {
	vals := make([]string, len(r.Table.Columns))
	for i, c := range r.Table.Columns {
		vals[i] = formatMapped(c.Type, r.Values[i])
	}
	return vals
}
