package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Cursors returns the saved cursor of each stream of a source.
func (w *Warehouse) Cursors(ctx context.Context, source string) (map[string]json.RawMessage, error) {
	var rows []struct {
		Stream string `json:"stream"`
		Cursor string `json:"cursor"`
	}
	q := fmt.Sprintf("SELECT stream, cursor FROM %s FINAL WHERE %s AND is_deleted = 0", w.layout.Q(SyncCursors.Storage()), w.scope(source))
	if err := w.QueryInto(ctx, q, &rows); err != nil {
		return nil, fmt.Errorf("reading cursors of %s: %w", source, err)
	}
	out := make(map[string]json.RawMessage, len(rows))
	for _, r := range rows {
		out[r.Stream] = json.RawMessage(r.Cursor)
	}
	return out, nil
}

// SaveCursor records a stream's cursor. Call it only after the data it covers is written.
func (w *Warehouse) SaveCursor(ctx context.Context, source, stream string, cursor json.RawMessage, runID string) error {
	now := time.Now().UTC()
	return w.Insert(ctx, SyncCursors, []Row{{w.tenant, source, stream, string(cursor), runID, now, w.nextVersion(), uint8(0)}})
}

// SyncRun is one row of sync_runs.
type SyncRun struct {
	RunID           string     `json:"run_id"`
	Source          string     `json:"source"`
	StartedAt       time.Time  `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	Status          string     `json:"status"`
	Full            bool       `json:"full"`
	RecordsRead     uint64     `json:"records_read"`
	RecordsWritten  uint64     `json:"records_written"`
	RecordsDeleted  uint64     `json:"records_deleted"`
	Requests        uint64     `json:"requests"`
	Throttled       uint64     `json:"throttled"`
	MappingProblems uint64     `json:"mapping_problems"`
	SourceProblems  uint64     `json:"source_problems"`
	Error           string     `json:"error"`
}

// SaveRun writes (or updates) a run's row.
func (w *Warehouse) SaveRun(ctx context.Context, r SyncRun) error {
	return w.Insert(ctx, SyncRuns, []Row{{w.tenant, r.Source, r.RunID, r.StartedAt, r.FinishedAt, r.Status, r.Full,
		r.RecordsRead, r.RecordsWritten, r.RecordsDeleted, r.Requests, r.Throttled, r.MappingProblems, r.SourceProblems, r.Error,
		w.nextVersion(), uint8(0)}})
}

// Generation is a source's active mapping generation.
type Generation struct {
	Generation  uint32 `json:"generation"`
	MappingHash string `json:"mapping_hash"`
}

// ActiveGeneration returns the source's active generation; ok is false before its first sync.
func (w *Warehouse) ActiveGeneration(ctx context.Context, source string) (g Generation, ok bool, err error) {
	var rows []Generation
	q := fmt.Sprintf("SELECT generation, mapping_hash FROM %s FINAL WHERE %s", w.layout.Q(SourceGenerations.Storage()), w.scope(source))
	if err := w.QueryInto(ctx, q, &rows); err != nil {
		return g, false, fmt.Errorf("reading generation of %s: %w", source, err)
	}
	if len(rows) == 0 {
		return g, false, nil
	}
	return rows[0], true, nil
}

// ActivateGeneration makes gen the generation the canonical views show for source: the
// switch is one insert, so analysts see the old rows until then and the new ones after.
func (w *Warehouse) ActivateGeneration(ctx context.Context, source string, g Generation) error {
	return w.Insert(ctx, SourceGenerations, []Row{{w.tenant, source, g.Generation, g.MappingHash, time.Now().UTC(), w.nextVersion(), uint8(0)}})
}

// DropGeneration removes the stored rows of an inactive generation.
func (w *Warehouse) DropGeneration(ctx context.Context, source string, gen uint32) error {
	for _, t := range Canonical {
		q := fmt.Sprintf("DELETE FROM %s WHERE %s AND generation = %d", w.layout.Q(t.Storage()), w.scope(source), gen)
		if err := w.b.Exec(ctx, q); err != nil {
			return fmt.Errorf("dropping generation %d of %s from %s: %w", gen, source, t.Name, err)
		}
	}
	return nil
}
