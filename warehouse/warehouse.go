// Package warehouse is pmohub's ClickHouse warehouse: the portfolio model's schema and
// migrations, and the readers and writers every other part uses, written once over a
// Backend (embedded chDB, or a ClickHouse server or cluster).
package warehouse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Warehouse is a tenant's view of one ClickHouse warehouse.
type Warehouse struct {
	b      Backend
	layout Layout
	tenant string

	mu      sync.Mutex
	lastVer uint64
	snapMu  sync.Mutex // one snapshot refresh at a time
}

// New wraps a backend. tenant stamps every row written and filters every read.
func New(b Backend, layout Layout, tenant string) *Warehouse {
	if layout.Database == "" {
		layout.Database = "pmo"
	}
	if tenant == "" {
		tenant = "default"
	}
	return &Warehouse{b: b, layout: layout, tenant: tenant}
}

func (w *Warehouse) Backend() Backend { return w.b }
func (w *Warehouse) Layout() Layout   { return w.layout }
func (w *Warehouse) Tenant() string   { return w.tenant }
func (w *Warehouse) Close() error     { return w.b.Close() }

// Query runs SQL and returns its output in format.
func (w *Warehouse) Query(ctx context.Context, sql, format string) ([]byte, error) {
	return w.b.Query(ctx, sql, format)
}

// streamer is a backend that hands an answer over in pieces (the embedded engine).
type streamer interface {
	QueryStream(ctx context.Context, query, format string, fn func(piece []byte) error) error
}

// ErrTruncated says an answer ended in the middle of a row.
var ErrTruncated = errors.New("answer ends in the middle of a row")

// QueryRows runs a SELECT and hands its answer to fn in whole rows: fn gets bytes of its
// own (slices of them may be kept) and returns what it could not read, a row cut short.
// The embedded engine's answer comes in its blocks (chdb.Engine.QueryStream), so neither
// side grows one buffer to the whole answer; the rest of a cut row is carried into the
// next call. A server's answer comes whole.
func (w *Warehouse) QueryRows(ctx context.Context, sql, format string, fn func(data []byte) (rest []byte)) error {
	var carry []byte
	if s, ok := w.b.(streamer); ok {
		err := s.QueryStream(ctx, sql, format, func(piece []byte) error {
			// the piece is the engine's memory; append, unlike make, does not zero first
			carry = fn(append(append([]byte(nil), carry...), piece...))
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		data, err := w.b.Query(ctx, sql, format)
		if err != nil {
			return err
		}
		if len(data) > 0 {
			carry = fn(data)
		}
	}
	if len(carry) > 0 {
		return ErrTruncated
	}
	return nil
}

// Exec runs a statement.
func (w *Warehouse) Exec(ctx context.Context, sql string) error { return w.b.Exec(ctx, sql) }

// QueryInto runs a SELECT and decodes its JSONEachRow output into out (a pointer to a
// slice of structs with json tags). 64-bit integers come unquoted and times as RFC 3339.
func (w *Warehouse) QueryInto(ctx context.Context, sql string, out any) error {
	// Wrapped, so the output settings apply whatever the query's own clauses are.
	sql = "SELECT * FROM (" + sql + ") SETTINGS output_format_json_quote_64bit_integers = 0, date_time_output_format = 'iso'"
	data, err := w.b.Query(ctx, sql, "JSONEachRow")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	first := true
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.Write(line)
	}
	buf.WriteByte(']')
	if err := json.Unmarshal(buf.Bytes(), out); err != nil {
		return fmt.Errorf("decoding query result: %w", err)
	}
	return nil
}

// nextVersion returns a strictly increasing bookkeeping version (nanoseconds).
func (w *Warehouse) nextVersion() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= w.lastVer {
		v = w.lastVer + 1
	}
	w.lastVer = v
	return v
}

// Insert writes rows into a table's versioned storage.
func (w *Warehouse) Insert(ctx context.Context, t *Table, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	if err := w.b.Insert(ctx, w.layout.Q(t.Storage()), columnsOf(t), rows); err != nil {
		return fmt.Errorf("writing %s: %w", t.Name, err)
	}
	return nil
}

// Lit quotes a string literal for SQL built here.
func Lit(s string) string { return quoteSQL(s) }

// where returns "tenant = … AND source = …".
func (w *Warehouse) scope(source string) string {
	return fmt.Sprintf("tenant = %s AND source = %s", quoteSQL(w.tenant), quoteSQL(source))
}
