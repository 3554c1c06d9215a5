package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

// run is one stream sync: the request, the client and the helpers around them.
type run struct {
	c   *Connector
	cl  *client
	req connectors.SyncRequest
	out connectors.Emit
	now func() time.Time
	// mu serialises emits and guards the stream's cursor while repositories sync at once.
	mu sync.Mutex
	// boards are the configured boards' items by item key (items stream only).
	boards map[string]boardEntry
	// boardEmitted holds the items (key → id) emitted in this run, with their board data
	// as of now; guarded by bmu.
	boardEmitted map[string]string
	bmu          sync.Mutex
	// kept counts the bytes of payloads held to emit again (items stream).
	kept atomic.Int64
}

// noteEmitted remembers an emitted item when boards are configured: it carries its
// current board place, so the board pass need not emit it again.
func (r *run) noteEmitted(repo string, number int, id string) {
	if len(r.c.cfg.Projects) == 0 {
		return
	}
	r.bmu.Lock()
	r.boardEmitted[itemKey(repo, number)] = id
	r.bmu.Unlock()
}

// emit hands a page to the engine, one at a time.
func (r *run) emit(ctx context.Context, p connectors.Page) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out(ctx, p)
}

// emitState applies a change to the cursor state and emits it (with recs) atomically.
func (r *run) emitState(ctx context.Context, apply func() any, recs ...connectors.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out(ctx, connectors.Page{Records: recs, Cursor: mustJSON(apply())})
}

// forEachRepo runs fn for every repository, a few at once (GitHub's secondary limits
// frown on more), and collects the failures: one broken repository never hides the others.
func (r *run) forEachRepo(ctx context.Context, repos []string, fn func(ctx context.Context, repo string) error) []error {
	var (
		wg   sync.WaitGroup
		emu  sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, max(r.c.cfg.Concurrency, 1))
	for _, repo := range repos {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(ctx, repo); err != nil {
				r.cl.log.Error("repository failed", "repo", repo, "stream", r.req.Stream, "err", err)
				emu.Lock()
				errs = append(errs, fmt.Errorf("repository %s: %w", repo, err))
				emu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	if err := ctx.Err(); err != nil && len(errs) == 0 {
		errs = append(errs, err)
	}
	return errs
}

// Sync reads one stream from req.Cursor and emits pages until it is up to date.
func (c *Connector) Sync(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	if req.Env == nil {
		req.Env = &connectors.Env{}
	}
	r := &run{c: c, cl: c.newClient(req.Env), req: req, out: emit, now: time.Now}
	if req.Env.Now != nil {
		r.now = req.Env.Now
	}
	cursor := req.Cursor
	if req.Full {
		cursor = nil
	}
	switch req.Stream {
	case StreamRepositories:
		return r.syncRepositories(ctx, cursor)
	case StreamMilestones:
		return r.syncMilestones(ctx, cursor)
	case StreamItems:
		return r.syncItems(ctx, cursor)
	case StreamEvents:
		return r.syncEvents(ctx, cursor)
	case StreamProjectItems:
		return r.syncProjectItems(ctx, cursor)
	case StreamPeople:
		return r.syncPeople(ctx, cursor)
	}
	return fmt.Errorf("source %s: unknown stream %q", c.src.Name, req.Stream)
}

// loadCursor decodes a stream cursor; a cursor that no longer parses starts over.
func (r *run) loadCursor(raw json.RawMessage, into any) {
	if len(raw) == 0 {
		return
	}
	if err := json.Unmarshal(raw, into); err != nil {
		r.cl.log.Warn("cursor unreadable, reading the stream from the start", "stream", r.req.Stream, "err", err)
	}
}

// mustJSON encodes cursors and envelopes. HTML escaping is off so that the parts
// fetched from GitHub keep their bytes (<, > and & stay as GitHub sent them).
func mustJSON(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // cursors and envelopes are plain data
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func (r *run) storedIDs(ctx context.Context, stream string) (map[string]uint64, error) {
	if r.req.Env.Stored == nil {
		return map[string]uint64{}, nil
	}
	ids, err := r.req.Env.Stored.NativeIDs(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("source %s: read stored %s: %w", r.c.src.Name, stream, err)
	}
	return ids, nil
}

// tombstone builds a deletion whose version beats what is stored.
func (r *run) tombstone(stream, id string, stored uint64) connectors.Record {
	v := max(stored+1, micros(r.now()))
	return connectors.Record{Stream: stream, NativeID: id, Version: v, Deleted: true, ChangedAt: r.now().UTC()}
}

func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// newer reports whether rec is newer than what is stored. Unchanged records are not
// emitted again (the listings re-show boundary items, and counts inside payloads change
// without a new updated_at); a --full sync re-emits everything.
func (r *run) newer(stored map[string]uint64, rec connectors.Record) bool {
	if r.req.Full {
		return true
	}
	v, ok := stored[rec.NativeID]
	return !ok || rec.Version > v
}
