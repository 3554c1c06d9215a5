package warehouse

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/pmohub/pmohub/warehouse/chdb"
)

// Embedded is the chDB backend: ClickHouse's engine in this process, persisting to a
// directory. One per process (libchdb's rule).
type Embedded struct {
	eng *chdb.Engine
	buf sync.Pool
}

// OpenEmbedded starts chDB on dir.
func OpenEmbedded(dir string) (*Embedded, error) {
	eng, err := chdb.Open(dir)
	if err != nil {
		return nil, err
	}
	return &Embedded{eng: eng}, nil
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

// Insert sends the rows as one INSERT … FORMAT JSONEachRow statement: chDB has no
// columnar insert API, and data after FORMAT is not limited by max_query_size.
func (e *Embedded) Insert(ctx context.Context, table string, columns []Column, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	b, _ := e.buf.Get().(*[]byte)
	if b == nil {
		b = new([]byte)
	}
	defer func() { *b = (*b)[:0]; e.buf.Put(b) }()
	buf := append((*b)[:0], "INSERT INTO "...)
	buf = append(buf, table...)
	buf = append(buf, " ("...)
	for i, c := range columns {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = append(buf, c.Name...)
	}
	buf = append(buf, ") SETTINGS async_insert = 0 FORMAT JSONEachRow\n"...)
	var err error
	for _, r := range rows {
		if buf, err = AppendJSONRow(buf, columns, r); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	*b = buf
	return e.Exec(ctx, string(buf))
}

func (e *Embedded) Close() error { return e.eng.Close() }
