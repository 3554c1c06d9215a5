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
	now := e.now().UTC()
	pending := map[*warehouse.Table][]warehouse.Row{}
	n := 0
	flush := func() error {
		for _, t := range warehouse.Canonical {
			if err := e.WH.Insert(ctx, t, pending[t]); err != nil {
				return err
			}
			pending[t] = pending[t][:0]
		}
		n = 0
		return nil
	}
	for _, stream := range mp.Streams() {
		err := e.WH.RawRecords(ctx, src.Name(), stream, nil, func(sr warehouse.StoredRaw) error {
			rows, probs := mp.Map(mappings.Record{Stream: stream, NativeID: sr.NativeID, Payload: sr.Payload})
			res.Records++
			res.Problems += int64(len(probs))
			ref := stream + "/" + sr.NativeID
			for _, row := range rows {
				pending[row.Table] = append(pending[row.Table], storageRow(e.WH.Tenant(), src.Name(), gen, row, ref, sr.Version, false, now))
				res.Rows++
				n++
			}
			if n >= flushRecords*4 {
				return flush()
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("re-mapping %s/%s: %w", src.Name(), stream, err)
		}
	}
	if err := flush(); err != nil {
		return res, err
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
