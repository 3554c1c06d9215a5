// Package server is the warehouse backend for a ClickHouse server or cluster, over the
// native protocol through clickhouse-go. It is deliberately thin: the schema, migrations,
// readers and metrics SQL are shared with the embedded engine; this package only moves
// statements and rows, and renders query results in the ClickHouse output formats the
// embedded engine would produce.
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/pmohub/pmohub/warehouse"
)

// maxBatchRows bounds one INSERT: ClickHouse likes batches of thousands to ~100k rows.
const maxBatchRows = 100_000

// Backend is a warehouse.Backend over a ClickHouse server or cluster.
type Backend struct {
	conn     driver.Conn
	url      string // redacted, for logs and errors
	password string // to scrub from driver errors that are not server exceptions
	logger   *slog.Logger
}

var _ warehouse.Backend = (*Backend)(nil)

// Open connects to the warehouse at rawURL
// (clickhouse://user:pass@host1:9000,host2:9000/<database>?secure=true&…) and checks the
// connection with a ping. The password never appears in errors or logs.
func Open(ctx context.Context, rawURL string, logger *slog.Logger) (*Backend, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "clickhouse")
	opts, err := parseURL(rawURL, logger)
	if err != nil {
		return nil, err
	}
	b := &Backend{url: redactURL(rawURL), password: opts.Auth.Password, logger: logger}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("opening warehouse %s: %w", b.url, b.mapErr(err))
	}
	b.conn = conn
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("connecting to warehouse %s: %w", b.url, b.mapErr(err))
	}
	logger.Info("warehouse connected", "url", b.url, "hosts", len(opts.Addr), "database", opts.Auth.Database, "tls", opts.TLS != nil)
	return b, nil
}

// Kind is "server".
func (b *Backend) Kind() string { return "server" }

// Close releases the connection pool.
func (b *Backend) Close() error { return b.conn.Close() }

// Exec runs a statement that returns nothing.
func (b *Backend) Exec(ctx context.Context, query string) error {
	if err := b.conn.Exec(ctx, query); err != nil {
		return b.mapErr(err)
	}
	return nil
}

// Query runs a statement and renders its whole result in format.
func (b *Backend) Query(ctx context.Context, query, format string) ([]byte, error) {
	render, err := formatFor(format)
	if err != nil {
		return nil, err
	}
	rows, err := b.conn.Query(ctx, query)
	if err != nil {
		return nil, b.mapErr(err)
	}
	defer rows.Close()
	res, err := collect(rows)
	if err != nil {
		return nil, b.mapErr(err)
	}
	var out bytes.Buffer
	render(&out, res)
	return out.Bytes(), nil
}

// rowSource is what collect needs of driver.Rows; tests feed it decoded Native blocks.
type rowSource interface {
	ColumnTypes() []driver.ColumnType
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// collect scans every row into values of the driver's own scan types, so each column
// comes back as the Go type clickhouse-go chooses for its ClickHouse type.
func collect(rows rowSource) (*result, error) {
	cts := rows.ColumnTypes()
	res := &result{}
	for _, ct := range cts {
		res.names = append(res.names, ct.Name())
		res.types = append(res.types, ct.DatabaseTypeName())
		res.typ = append(res.typ, parseType(ct.DatabaseTypeName()))
	}
	for rows.Next() {
		dest := make([]any, len(cts))
		for i, ct := range cts {
			if st := ct.ScanType(); st != nil {
				dest[i] = reflect.New(st).Interface()
			} else {
				dest[i] = new(any)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("reading result row %d: %w", len(res.rows)+1, err)
		}
		row := make([]node, len(cts))
		for i := range dest {
			row[i] = toNode(res.typ[i], reflect.ValueOf(dest[i]).Elem().Interface())
		}
		res.rows = append(res.rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// Insert writes rows into table in batches, converting the documented Row value types.
func (b *Backend) Insert(ctx context.Context, table string, columns []warehouse.Column, rows []warehouse.Row) error {
	if len(rows) == 0 {
		return nil
	}
	if len(columns) == 0 {
		return fmt.Errorf("insert into %s: no columns", table)
	}
	conv, err := converters(columns)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	stmt := insertStatement(table, columns)
	for start := 0; start < len(rows); start += maxBatchRows {
		chunk := rows[start:min(start+maxBatchRows, len(rows))]
		if err := b.insertBatch(ctx, stmt, table, columns, conv, chunk, start); err != nil {
			return err
		}
		b.logger.DebugContext(ctx, "rows inserted", "table", table, "rows", len(chunk))
	}
	return nil
}

// insertBatch sends one batch; row numbers in errors count from offset.
func (b *Backend) insertBatch(ctx context.Context, stmt, table string, columns []warehouse.Column, conv []convertFunc, rows []warehouse.Row, offset int) error {
	batch, err := b.conn.PrepareBatch(ctx, stmt)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, b.mapErr(err))
	}
	defer batch.Close()
	if err := appendRows(batch, table, columns, conv, rows, offset); err != nil {
		batch.Abort()
		return b.mapErr(err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert into %s: %w", table, b.mapErr(err))
	}
	return nil
}

func insertStatement(table string, columns []warehouse.Column) string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = quoteIdent(c.Name)
	}
	return "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ")"
}

// quoteIdent back-quotes a column name; the schema's names are plain, but "key" and
// friends read better quoted than guessed about.
func quoteIdent(s string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(s) + "`"
}

// mapErr turns a server exception into *warehouse.QueryError (by its code) and scrubs the
// password from anything else.
func (b *Backend) mapErr(err error) error {
	if err == nil {
		return nil
	}
	var ex *proto.Exception
	if errors.As(err, &ex) {
		return &warehouse.QueryError{Code: int(ex.Code), Message: exceptionText(ex)}
	}
	if b.password != "" && len(b.password) >= 3 && strings.Contains(err.Error(), b.password) {
		// The text is unsafe to keep; the chain goes with it.
		return errors.New(strings.ReplaceAll(err.Error(), b.password, redacted))
	}
	return err
}

// exceptionText writes an exception as clickhouse-client and the embedded engine do:
// "Code: 60. DB::Exception: Unknown table … (UNKNOWN_TABLE)".
func exceptionText(ex *proto.Exception) string {
	name := ex.Name
	if name == "" {
		name = "DB::Exception"
	}
	return fmt.Sprintf("Code: %d. %s: %s", ex.Code, name, ex.Message)
}
