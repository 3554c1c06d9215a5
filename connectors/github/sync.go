package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

// run is one stream sync: the request, the client and the helpers around them.
type run struct {
	c    *Connector
	cl   *client
	req  connectors.SyncRequest
	emit connectors.Emit
	now  func() time.Time
}

// Sync reads one stream from req.Cursor and emits pages until it is up to date.
func (c *Connector) Sync(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	if req.Env == nil {
		req.Env = &connectors.Env{}
	}
	r := &run{c: c, cl: c.newClient(req.Env), req: req, emit: emit, now: time.Now}
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
