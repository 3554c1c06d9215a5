package warehouse

import (
	"context"
)

// Backend is what a warehouse engine must do; everything else (schema, migrations, readers,
// writers, metrics SQL) is shared and written once over it. Two backends exist: the
// embedded chDB engine and a ClickHouse server or cluster through clickhouse-go.
type Backend interface {
	// Exec runs a statement that returns nothing (DDL, INSERT … SELECT, ALTER).
	Exec(ctx context.Context, query string) error
	// Query runs a SELECT and returns the whole result in a ClickHouse output format
	// (JSONEachRow, CSVWithNames, PrettyCompact, …).
	Query(ctx context.Context, query, format string) ([]byte, error)
	// Insert writes rows into table (database-qualified). columns gives names and
	// ClickHouse types; each row holds the Go types documented on Row.
	Insert(ctx context.Context, table string, columns []Column, rows []Row) error
	// Kind is "embedded" or "server".
	Kind() string
	Close() error
}

// QueryError is an error the engine reported for a statement; Message is ClickHouse's own
// text, Code its numeric error code (0 when unknown).
type QueryError struct {
	Code    int
	Message string
}

func (e *QueryError) Error() string { return e.Message }
