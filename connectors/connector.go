// Package connectors holds the contract every source connector implements, and one
// self-contained package per source kind beneath it.
//
// A connector only speaks to its source. It declares its streams and, for each stream,
// reads from a cursor and emits pages of raw records (and deletions). The sync engine owns
// everything else: writing the raw layer, applying the mapping, writing canonical rows,
// and saving the cursor only after the page it covers is durably written.
package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Record is one source record exactly as fetched, or a deletion.
type Record struct {
	// Stream names what kind of record this is ("issues", "rows", "projects", …).
	Stream string
	// NativeID is the source's stable id for the record (Jira issue id, Smartsheet row id,
	// a sheet row's key value). Unique within (source, stream).
	NativeID string
	// Version orders the record's changes: it must grow with the source's own change order
	// (its update time in microseconds, a sheet version, …) and never with the wall clock
	// of the read, so that a late re-read of old data never overwrites newer data.
	Version uint64
	// ChangedAt is the source's change time of this version, when it has one.
	ChangedAt time.Time
	// Payload is the JSON as fetched. Empty for deletions.
	Payload json.RawMessage
	// Deleted marks the record as gone from the source; Version must still be set, in the
	// same scale as the stream's other versions (so the tombstone wins over older data).
	Deleted bool
}

// Page is a batch of records and the cursor that is valid once they are all written.
type Page struct {
	Records []Record
	// Cursor is the stream's state after this page; nil keeps the previous cursor.
	// The engine saves it only after every record in the page is durably written.
	Cursor json.RawMessage
}

// StreamInfo describes one stream a connector reads.
type StreamInfo struct {
	Name        string
	Description string
}

// Emit hands a page to the engine. The engine may gather several pages and write them
// together; a page's cursor is saved only once the page and every page before it are
// durably written. An error means the sync must stop (return it).
type Emit func(ctx context.Context, page Page) error

// SyncRequest is what the engine gives a connector for one stream.
type SyncRequest struct {
	Stream string
	// Cursor is the last saved cursor of the stream, nil on the first sync or with --full.
	Cursor json.RawMessage
	// Full is set by `pmohub sync --full`: ignore cursors, re-read everything.
	Full bool
	Env  *Env
}

// Connector is one configured source.
type Connector interface {
	// Streams lists the streams in the order they must be synced (lookups first).
	Streams() []StreamInfo
	// Sync reads one stream from req.Cursor and emits pages until it is up to date. A
	// returned error fails the stream; pages emitted before it stay committed.
	Sync(ctx context.Context, req SyncRequest, emit Emit) error
}

// Env is what the engine lends a connector for a run.
type Env struct {
	// HTTP is an instrumented client: it counts requests and throttled answers into Stats.
	// Connectors pass it to their client library (wrapping its Transport is fine).
	HTTP   *http.Client
	Logger *slog.Logger
	Stats  *Stats
	// Stored reads what the warehouse already holds for this source (for deletion sweeps
	// and snapshot diffs).
	Stored StoredReader
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Mapping is the source's mapping in force for this run, for connectors that check
	// what it reads against the source's schema (a column it names that a sheet lacks).
	// nil when there is none to check against.
	Mapping MappingChecker
}

// MappingChecker is what a connector may ask of the source's mapping.
type MappingChecker interface {
	// MissingColumns lists the columns the mapping requires (see mappings/README.md,
	// "Required columns") of a tabular record of stream that its payload's cells lack.
	MissingColumns(stream string, payload json.RawMessage) []MissingColumn
	// RequiredColumns lists, sorted, every column title the mapping requires of stream's
	// records: a connector keeps it to notice a mapping change.
	RequiredColumns(stream string) []string
	// ColumnTypes gives the type ("number", "date", "time" or "bool") a field of the
	// mapping converts a column to, by the column title it reads: a tabular connector
	// types the column by it. Columns read only as text are absent.
	ColumnTypes(stream string) map[string]string
	// ColumnTitles lists every column title the mapping reads of stream's records,
	// alternatives included, for reporting which columns are mapped.
	ColumnTitles(stream string) []string
	// ExactHistory lists the column titles whose exact change history the mapping asks
	// the connector to read for stream's records (exact_history), where it can.
	ExactHistory(stream string) []string
}

// MissingColumn is a column a mapping requires that a table lacks.
type MissingColumn struct {
	Column string // the title the mapping names
	Key    string // where in the mapping: entities.<entity>.fields.<field>.column
	Pos    string // file:line:column of it in the mapping
}

func (m MissingColumn) String() string {
	return fmt.Sprintf("column %q required by the mapping (%s %s)", m.Column, m.Pos, m.Key)
}

// StoredRecord is a raw record as the warehouse holds it.
type StoredRecord struct {
	NativeID string
	Version  uint64
	Payload  json.RawMessage
}

// StoredReader gives a connector read access to this source's raw layer.
type StoredReader interface {
	// NativeIDs returns the ids (and versions) of the live records of a stream.
	NativeIDs(ctx context.Context, stream string) (map[string]uint64, error)
	// Records calls fn for each live record of a stream, optionally only for ids.
	Records(ctx context.Context, stream string, ids []string, fn func(StoredRecord) error) error
}

// Factory builds a connector from its configuration. Wiring (cmd/pmohub) holds the map
// from kind to factory: there is no global registry.
type Factory func(src SourceConfig) (Connector, error)

// Kind describes one source kind for the wiring.
type Kind struct {
	Name    string
	New     Factory
	Mapping []byte // the built-in default mapping (YAML)
}
