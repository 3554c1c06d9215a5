package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// commit writes one batch of a stream: canonical rows and tombstones, then the raw
// records, then the cursor. See the package doc for why this order is crash-safe.
func (r *run) commit(ctx context.Context, c *committer, recs []connectors.Record, cursor json.RawMessage) error {
	stream := c.stream
	recs = latestPerRecord(recs)
	now := r.e.now().UTC()
	if r.mapped[stream] && len(recs) > 0 {
		old, err := r.previous(ctx, c, recs)
		if err != nil {
			return err
		}
		rows, written := r.derive(stream, recs, old, now)
		if err := r.step("canonical"); err != nil {
			return err
		}
		for _, t := range warehouse.Canonical {
			if err := r.e.WH.Insert(ctx, t, rows[t]); err != nil {
				return err
			}
		}
		r.row.RecordsWritten += uint64(written)
	}
	if err := r.step("raw"); err != nil {
		return err
	}
	raw := make([]warehouse.RawRecord, len(recs))
	for i, rec := range recs {
		raw[i] = warehouse.RawRecord{Source: r.src.Name(), Stream: stream, NativeID: rec.NativeID, Version: rec.Version,
			Payload: rec.Payload, Deleted: rec.Deleted, FetchedAt: now}
		if !rec.ChangedAt.IsZero() {
			t := rec.ChangedAt.UTC()
			raw[i].ChangedAt = &t
		}
		if rec.Deleted {
			r.row.RecordsDeleted++
		} else {
			r.row.RecordsRead++
		}
	}
	if err := r.e.WH.WriteRaw(ctx, raw); err != nil {
		return err
	}
	if c.written != nil {
		for _, rec := range recs {
			c.written[rec.NativeID] = struct{}{}
		}
	}
	if cursor == nil {
		return nil
	}
	if err := r.step("cursor"); err != nil {
		return err
	}
	return r.e.WH.SaveCursor(ctx, r.src.Name(), stream, cursor, r.row.RunID)
}

func (r *run) step(name string) error {
	if r.e.FailPoint == nil {
		return nil
	}
	if err := r.e.FailPoint(name); err != nil {
		return fmt.Errorf("fail point %s: %w", name, err)
	}
	return nil
}

// latestPerRecord keeps the highest version of each record in a batch.
func latestPerRecord(recs []connectors.Record) []connectors.Record {
	idx := make(map[string]int, len(recs))
	out := recs[:0:0]
	for _, rec := range recs {
		if i, ok := idx[rec.NativeID]; ok {
			if rec.Version >= out[i].Version {
				out[i] = rec
			}
			continue
		}
		idx[rec.NativeID] = len(out)
		out = append(out, rec)
	}
	return out
}

// previous returns the stored payloads of the batch's records that exist already.
func (r *run) previous(ctx context.Context, c *committer, recs []connectors.Record) (map[string]warehouse.StoredRaw, error) {
	ids := make([]string, 0, len(recs))
	for _, rec := range recs {
		if _, ok := c.written[rec.NativeID]; c.written == nil || ok {
			ids = append(ids, rec.NativeID)
		}
	}
	old := map[string]warehouse.StoredRaw{}
	if len(ids) == 0 {
		return old, nil
	}
	err := r.e.WH.RawRecords(ctx, r.src.Name(), c.stream, ids, func(sr warehouse.StoredRaw) error {
		old[sr.NativeID] = sr
		return nil
	})
	return old, err
}

// derive maps a batch into storage rows per table: the records' rows, and tombstones for
// rows their previous payload produced that the new one does not.
func (r *run) derive(stream string, recs []connectors.Record, old map[string]warehouse.StoredRaw, now time.Time) (map[*warehouse.Table][]warehouse.Row, int) {
	out := map[*warehouse.Table][]warehouse.Row{}
	written := 0
	mapped := r.mapAll(stream, recs, old)
	for i, rec := range recs {
		prev, hadPrev := old[rec.NativeID]
		if hadPrev && prev.Version > rec.Version {
			continue // a late re-read of older data
		}
		ref := stream + "/" + rec.NativeID
		fresh := mapped[i].fresh
		r.report(mapped[i].probs)
		keep := make(map[string]bool, len(fresh))
		for _, row := range fresh {
			keep[row.Table.Name+"\x00"+row.Key] = true
			out[row.Table] = append(out[row.Table], r.storageRow(row, ref, rec.Version, false, now))
			written++
		}
		if !hadPrev {
			continue
		}
		for _, row := range mapped[i].before {
			if row.Shared || keep[row.Table.Name+"\x00"+row.Key] {
				continue
			}
			out[row.Table] = append(out[row.Table], r.storageRow(row, ref, rec.Version, true, now))
		}
	}
	return out, written
}

// mappedRecord is one record's rows under the mapping, and its previous payload's.
type mappedRecord struct {
	fresh, before []mappings.Row
	probs         []mappings.Problem
}

// mapAll maps a batch's records (and their previous payloads) on all cores: mapping is
// the committer's largest CPU cost and the Mapper is safe for concurrent use. Results
// keep the batch's order, so rows and problem reports come out as a serial loop would.
func (r *run) mapAll(stream string, recs []connectors.Record, old map[string]warehouse.StoredRaw) []mappedRecord {
	out := make([]mappedRecord, len(recs))
	one := func(i int) {
		rec := recs[i]
		prev, hadPrev := old[rec.NativeID]
		if hadPrev && prev.Version > rec.Version {
			return
		}
		if !rec.Deleted {
			out[i].fresh, out[i].probs = r.mapper.Map(mappings.Record{Stream: stream, NativeID: rec.NativeID, Payload: rec.Payload})
		}
		if hadPrev {
			out[i].before, _ = r.mapper.Map(mappings.Record{Stream: stream, NativeID: rec.NativeID, Payload: prev.Payload})
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(recs)/64+1)
	if workers <= 1 {
		for i := range recs {
			one(i)
		}
		return out
	}
	var next atomic.Int64
	var wg stdsync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// chunks of 32 keep the shared counter off the hot path
				start := int(next.Add(32)) - 32
				if start >= len(recs) {
					return
				}
				for i := start; i < min(start+32, len(recs)); i++ {
					one(i)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// storageRow frames a mapped row with the bookkeeping columns.
func (r *run) storageRow(row mappings.Row, ref string, version uint64, deleted bool, now time.Time) warehouse.Row {
	return storageRow(r.e.WH.Tenant(), r.src.Name(), r.gen, row, ref, version, deleted, now)
}

func storageRow(tenant, source string, gen uint32, row mappings.Row, ref string, version uint64, deleted bool, now time.Time) warehouse.Row {
	out := make(warehouse.Row, 0, len(row.Values)+7)
	out = append(out, tenant, source, gen)
	out = append(out, row.Values...)
	var del uint8
	if deleted {
		del = 1
	}
	return append(out, ref, version, del, now)
}

// report counts mapping problems and logs each kind once per run.
func (r *run) report(probs []mappings.Problem) {
	for _, p := range probs {
		r.problems++
		k := p.Entity + "." + p.Field + ": " + p.Message
		if r.problemSeen == nil {
			r.problemSeen = map[string]bool{}
		}
		if !r.problemSeen[k] {
			r.problemSeen[k] = true
			r.log.Warn("mapping problem (record kept in the raw layer; field left empty)", "entity", p.Entity, "field", p.Field, "record", p.NativeID, "problem", p.Message)
		}
	}
}
