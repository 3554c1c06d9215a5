package sync

import (
	"context"
	"fmt"

	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// RemapResult says what a re-mapping did.
type RemapResult struct {
	Generation uint32
	Records    int64
	Rows       int64
	Problems   int64
}

// Remap re-derives a source's canonical rows from the raw layer with its current mapping,
// calling no source API. The rows go into a new generation that the views switch to only
// when it is complete, so analysts see the old rows until then.
func (e *Engine) Remap(ctx context.Context, src *Source) (RemapResult, error) {
	mu := e.lock(src.Name())
	if !mu.TryLock() {
		return RemapResult{}, fmt.Errorf("source %s: %w", src.Name(), ErrBusy)
	}
	defer mu.Unlock()
	mp, err := e.Mapper(src)
	if err != nil {
		return RemapResult{}, fmt.Errorf("mapping of %s: %w", src.Name(), err)
	}
	active, _, err := e.WH.ActiveGeneration(ctx, src.Name())
	if err != nil {
		return RemapResult{}, err
	}
	res, err := e.remap(ctx, src, mp, active.Generation+1)
	if err == nil {
		e.refreshSnapshots(ctx)
	}
	return res, err
}

// RemapWith re-derives a source's rows with a new mapping (see Remap) and, once the views
// show them, makes it the source's mapping, all under the source's lock so no sync in
// between runs with a mapping that disagrees with the active generation.
func (e *Engine) RemapWith(ctx context.Context, src *Source, m *mappings.Mapping, text []byte) (RemapResult, error) {
	mu := e.lock(src.Name())
	if !mu.TryLock() {
		return RemapResult{}, fmt.Errorf("source %s: %w", src.Name(), ErrBusy)
	}
	defer mu.Unlock()
	next := *src
	next.Mapping, next.MappingText = m, text
	mp, err := e.Mapper(&next)
	if err != nil {
		return RemapResult{}, fmt.Errorf("mapping of %s: %w", src.Name(), err)
	}
	active, _, err := e.WH.ActiveGeneration(ctx, src.Name())
	if err != nil {
		return RemapResult{}, err
	}
	res, err := e.remap(ctx, &next, mp, active.Generation+1)
	if err != nil {
		return res, err
	}
	src.Mapping, src.MappingText = m, text
	e.refreshSnapshots(ctx)
	return res, nil
}

func (e *Engine) remap(ctx context.Context, src *Source, mp *mappings.Mapper, gen uint32) (RemapResult, error) {
	res := RemapResult{Generation: gen}
	if err := loadLookups(ctx, e.WH, src.Name(), mp); err != nil {
		return res, err
	}
	// Leftovers of an earlier, interrupted attempt at this generation must not mix in.
	if err := e.WH.DropGeneration(ctx, src.Name(), gen); err != nil {
		return res, err
	}
	for _, stream := range mp.Streams() {
		if err := e.remapStream(ctx, src, mp, gen, stream, &res); err != nil {
			return res, fmt.Errorf("re-mapping %s/%s: %w", src.Name(), stream, err)
		}
	}
	old, _, err := e.WH.ActiveGeneration(ctx, src.Name())
	if err != nil {
		return res, err
	}
	if err := e.WH.ActivateGeneration(ctx, src.Name(), warehouse.Generation{Generation: gen, MappingHash: src.MappingHash()}); err != nil {
		return res, err
	}
	if old.Generation != 0 && old.Generation != gen {
		if err := e.WH.DropGeneration(ctx, src.Name(), old.Generation); err != nil {
			e.logger().Warn("could not drop the previous generation; it stays hidden", "source", src.Name(), "generation", old.Generation, "err", err)
		}
	}
	return res, nil
}

// Re-mapping is a pipeline (mappings.InOrder): the stored records are read page by page,
// every core maps chunks of them, and the rows are inserted in the records' order (as a
// serial re-mapping would) in large blocks, so the engine's reads and inserts overlap the
// mapping instead of alternating with it.
const (
	remapChunk = 1000    // records per mapping task
	remapFlush = 100_000 // rows per insert: ClickHouse wants few, large parts
)

// remapped is one chunk's rows, by index in warehouse.Canonical.
type remapped struct {
	rows                   [][]warehouse.Row
	records, nrows, nprobs int64
}

func (e *Engine) remapStream(ctx context.Context, src *Source, mp *mappings.Mapper, gen uint32, stream string, res *RemapResult) error {
	tables := map[*warehouse.Table]int{}
	for i, t := range warehouse.Canonical {
		tables[t] = i
	}
	now, tenant := e.now().UTC(), e.WH.Tenant()
	feed := func(send func([]warehouse.StoredRaw) error) error {
		return e.WH.RawChunks(ctx, src.Name(), stream, remapChunk, send)
	}
	work := func(recs []warehouse.StoredRaw) remapped {
		o := remapped{rows: make([][]warehouse.Row, len(warehouse.Canonical)), records: int64(len(recs))}
		for _, sr := range recs {
			rows, probs := mp.Map(mappings.Record{Stream: stream, NativeID: sr.NativeID, Payload: sr.Payload, Text: sr.Text})
			o.nprobs += int64(len(probs))
			o.nrows += int64(len(rows))
			ref := stream + "/" + sr.NativeID
			for _, row := range rows {
				i := tables[row.Table]
				o.rows[i] = append(o.rows[i], storageRow(tenant, src.Name(), gen, row, ref, sr.Version, false, now))
			}
		}
		return o
	}
	pending := make([][]warehouse.Row, len(warehouse.Canonical))
	flush := func(atLeast int) error {
		for i, t := range warehouse.Canonical {
			if len(pending[i]) == 0 || len(pending[i]) < atLeast {
				continue
			}
			if err := e.WH.Insert(ctx, t, pending[i]); err != nil {
				return err
			}
			pending[i] = nil
		}
		return nil
	}
	emit := func(o remapped) error {
		res.Records += o.records
		res.Rows += o.nrows
		res.Problems += o.nprobs
		for i, rows := range o.rows {
			pending[i] = append(pending[i], rows...)
		}
		return flush(remapFlush)
	}
	if err := mappings.InOrder(ctx, feed, work, emit); err != nil {
		return err
	}
	return flush(0)
}
