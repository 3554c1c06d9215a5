package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// Flush thresholds: ClickHouse wants few, large inserts, so pages are gathered up to
// these sizes before a commit. 16 MiB rather than 4: a 100k-issue Jira sync spent a
// quarter of its time on the parts (and merges) of small inserts; two batches in flight
// cost about 100 MB more peak memory.
const (
	flushRecords = 5000
	flushBytes   = 16 << 20
)

func (e *Engine) batchRecords() int {
	if e.BatchRecords > 0 {
		return e.BatchRecords
	}
	return flushRecords
}

type run struct {
	e      *Engine
	src    *Source
	log    *slog.Logger
	stats  *connectors.Stats
	row    warehouse.SyncRun
	gen    uint32
	mapper *mappings.Mapper
	mapped map[string]bool // streams an entity reads

	problems    int64
	problemSeen map[string]bool
	current     *committer // the stream being synced
	// flushPending submits the pages the stream has buffered but not yet handed to the
	// committer, so a connector's read of the raw layer sees them too.
	flushPending func() error
	wrote        int64 // records the last stream wrote (any stream's: a page may name another)
}

func newRunID(t time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func (r *run) execute(ctx context.Context, opts Options) error {
	mapper, err := r.e.Mapper(r.src)
	if err != nil {
		return fmt.Errorf("mapping of %s: %w", r.src.Name(), err)
	}
	r.mapper = mapper
	r.mapped = map[string]bool{}
	for _, s := range mapper.Streams() {
		r.mapped[s] = true
	}
	if err := r.ensureGeneration(ctx); err != nil {
		return err
	}
	cursors, err := r.e.WH.Cursors(ctx, r.src.Name())
	if err != nil {
		return err
	}
	env := &connectors.Env{
		HTTP:   &http.Client{Transport: &connectors.Transport{Base: r.e.Transport, Stats: r.stats}},
		Logger: r.e.logger(), // connectors name their source in their own log lines
		Stats:  r.stats,
		Stored: storedReader{wh: r.e.WH, source: r.src.Name(), barrier: r.barrier},
		Now:    r.e.now,
		// Tabular connectors check the columns the mapping requires before writing.
		Mapping: mapper,
	}
	stale := true // lookups are re-read only after a stream wrote something
	for _, st := range r.src.Connector.Streams() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if stale {
			if err := r.loadLookups(ctx); err != nil {
				return err
			}
		}
		req := connectors.SyncRequest{Stream: st.Name, Full: opts.Full, Env: env}
		if !opts.Full {
			req.Cursor = cursors[st.Name]
		}
		if err := r.syncStream(ctx, req); err != nil {
			return err
		}
		stale = r.wrote > 0
	}
	return nil
}

// ensureGeneration picks the generation this run writes. A mapping that changed since the
// active generation was built is first re-applied from the raw layer (no source calls).
func (r *run) ensureGeneration(ctx context.Context) error {
	active, ok, err := r.e.WH.ActiveGeneration(ctx, r.src.Name())
	if err != nil {
		return err
	}
	hash := r.src.MappingHash()
	switch {
	case !ok:
		r.gen = 1
		return r.e.WH.ActivateGeneration(ctx, r.src.Name(), warehouse.Generation{Generation: 1, MappingHash: hash})
	case active.MappingHash == hash:
		r.gen = active.Generation
		return nil
	default:
		if err := r.e.checkRequiredColumns(ctx, r.src, r.mapper); err != nil {
			return err
		}
		r.log.Info("mapping changed; re-applying it from the raw layer", "generation", active.Generation+1)
		res, err := r.e.remap(ctx, r.src, r.mapper, active.Generation+1)
		if err != nil {
			return err
		}
		r.gen = res.Generation
		r.e.refreshSnapshots(ctx)
		return nil
	}
}

// loadLookups gives the mapper the lookup streams as stored now.
func (r *run) loadLookups(ctx context.Context) error {
	return loadLookups(ctx, r.e.WH, r.src.Name(), r.mapper)
}

func loadLookups(ctx context.Context, wh *warehouse.Warehouse, source string, mp *mappings.Mapper) error {
	for _, s := range mp.LookupStreams() {
		var recs []connectors.StoredRecord
		err := wh.RawRecords(ctx, source, s, nil, func(sr warehouse.StoredRaw) error {
			recs = append(recs, connectors.StoredRecord{NativeID: sr.NativeID, Version: sr.Version, Payload: sr.Payload})
			return nil
		})
		if err != nil {
			return err
		}
		if err := mp.SetLookup(s, recs); err != nil {
			return fmt.Errorf("lookup stream %s: %w", s, err)
		}
	}
	return nil
}

// syncStream runs the connector on one stream, gathering pages into batches that a
// committer writes in the background, so fetching the next pages overlaps writing.
func (r *run) syncStream(ctx context.Context, req connectors.SyncRequest) error {
	c, err := newCommitter(ctx, r, req.Stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", req.Stream, err)
	}
	r.current = c
	defer func() { r.current, r.flushPending = nil, nil }()
	var (
		pending []connectors.Record
		bytes   int
		cursor  json.RawMessage
	)
	flush := func() error {
		if len(pending) == 0 && cursor == nil {
			return nil
		}
		b := batch{records: pending, cursor: cursor}
		pending, bytes, cursor = nil, 0, nil
		return c.submit(ctx, b)
	}
	r.flushPending = flush
	emit := func(ctx context.Context, page connectors.Page) error {
		for i := range page.Records {
			if page.Records[i].Stream == "" {
				page.Records[i].Stream = req.Stream
			}
			bytes += len(page.Records[i].Payload)
		}
		pending = append(pending, page.Records...)
		if page.Cursor != nil {
			cursor = page.Cursor
		}
		if len(pending) >= r.e.batchRecords() || bytes >= flushBytes {
			return flush()
		}
		return nil
	}
	err = r.src.Connector.Sync(ctx, req, emit)
	// Pages emitted before a failure are good data, and their cursor covers only them:
	// commit both, so a retry resumes after them.
	ferr := flush()
	cerr := c.close()
	switch {
	case err != nil:
		return fmt.Errorf("stream %s: %w", req.Stream, errors.Join(err, ferr, cerr))
	case ferr != nil || cerr != nil:
		return errors.Join(ferr, cerr)
	}
	r.wrote = c.total.Load()
	if r.e.Progress != nil {
		r.e.Progress(Progress{Source: r.src.Name(), Stream: req.Stream, Records: r.wrote, Done: true})
	}
	return nil
}

func (r *run) finish(err error) {
	now := r.e.now().UTC()
	r.row.FinishedAt = &now
	r.row.Requests = uint64(r.stats.Requests.Load())
	r.row.Throttled = uint64(r.stats.Throttled.Load())
	r.row.MappingProblems = uint64(r.problems)
	r.row.SourceProblems = uint64(r.stats.Problems.Load())
	switch {
	case err == nil:
		r.row.Status = "succeeded"
	case errors.Is(err, context.Canceled):
		r.row.Status = "cancelled"
		r.row.Error = r.src.Config.Auth.Redact(err.Error())
	default:
		r.row.Status = "failed"
		r.row.Error = r.src.Config.Auth.Redact(err.Error())
	}
}
