package warehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pmohub/pmohub/warehouse/chdb"
)

// Embedded is the chDB backend: ClickHouse's engine in this process, persisting to a
// directory. One per process (libchdb's rule).
type Embedded struct {
	eng     *chdb.Engine
	buf     sync.Pool
	scratch string // folder for insert files, inside the data directory
}

// OpenEmbedded starts chDB on dir.
func OpenEmbedded(dir string) (*Embedded, error) {
	eng, err := chdb.Open(dir)
	if err != nil {
		return nil, err
	}
	scratch := filepath.Join(eng.Path(), "pmohub-inserts")
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		eng.Close()
		return nil, fmt.Errorf("creating %s: %w", scratch, err)
	}
	return &Embedded{eng: eng, scratch: scratch}, nil
}

func (e *Embedded) Kind() string { return "embedded" }

func (e *Embedded) Exec(ctx context.Context, query string) error {
	_, err := e.Query(ctx, query, "")
	return err
}

func (e *Embedded) Query(ctx context.Context, query, format string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := e.eng.Query(query, format)
	if err != nil {
		if ce, ok := err.(*chdb.Error); ok {
			return nil, &QueryError{Code: ce.Code(), Message: strings.TrimSpace(ce.Message)}
		}
		return nil, err
	}
	return out, nil
}

// QueryStream runs query and hands its answer to fn piece by piece (see
// chdb.Engine.QueryStream); a piece is valid only during fn.
func (e *Embedded) QueryStream(ctx context.Context, query, format string, fn func(piece []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := e.eng.QueryStream(query, format, func(piece []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(piece)
	})
	if ce, ok := err.(*chdb.Error); ok {
		return &QueryError{Code: ce.Code(), Message: strings.TrimSpace(ce.Message)}
	}
	return err
}

// insertChunk is how much encoded data is gathered before a write to the insert file.
const insertChunk = 1 << 20

// Insert encodes the rows as RowBinary (far cheaper for ClickHouse to parse than text)
// into a scratch file and loads it with INSERT … FROM INFILE: chDB has no columnar insert
// API, and binary data inline after FORMAT fails past about 1 MiB in libchdb 26.5
// ("Cannot read all data" at a read-buffer boundary).
func (e *Embedded) Insert(ctx context.Context, table string, columns []Column, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	types, err := rowBinaryTypes(columns)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	f, err := os.CreateTemp(e.scratch, "insert-*.bin")
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	defer os.Remove(f.Name())
	// Rows are encoded into a small buffer flushed to the file as it fills: a batch of
	// raw payloads is tens of MB, and holding its encoding whole doubled it in memory.
	b, _ := e.buf.Get().(*[]byte)
	if b == nil {
		b = new([]byte)
	}
	defer func() { *b = (*b)[:0]; e.buf.Put(b) }()
	buf := (*b)[:0]
	for _, r := range rows {
		if buf, err = appendRowBinary(buf, columns, types, r); err != nil {
			break
		}
		if len(buf) >= insertChunk {
			_, err = f.Write(buf)
			buf = buf[:0]
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		_, err = f.Write(buf)
	}
	*b = buf
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.Name
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) FROM INFILE %s FORMAT RowBinary", table, strings.Join(names, ", "), quoteSQL(f.Name()))
	return e.Exec(ctx, q)
}

func (e *Embedded) Close() error { return e.eng.Close() }
