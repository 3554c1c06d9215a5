package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/pmohub/pmohub/warehouse/chdb"
)

// The embedded engine is the oracle for what a real ClickHouse prints: its Native output
// decodes with clickhouse-go's own column code (what the server backend scans), and its
// Native input takes the blocks clickhouse-go's batches build. One engine per process.
var engine *chdb.Engine

func TestMain(m *testing.M) {
	code := func() int {
		if _, err := chdb.FindLibrary(); err != nil {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "pmohub-server-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		engine, err = chdb.Open(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer engine.Close()
		return m.Run()
	}()
	os.Exit(code)
}

func needEngine(t testing.TB) *chdb.Engine {
	t.Helper()
	if engine == nil {
		t.Skip("libchdb not installed (scripts/install-libchdb.sh): skipping comparisons with ClickHouse's own output")
	}
	return engine
}

// nativeRows is a rowSource over Native-format blocks, the same column decoding the
// driver does on a server connection.
type nativeRows struct {
	blocks []*proto.Block
	b, row int
}

func decodeNative(data []byte) (*nativeRows, error) {
	r := chproto.NewReader(bytes.NewReader(data))
	var blocks []*proto.Block
	for {
		blk := &proto.Block{ServerContext: &column.ServerContext{Timezone: time.UTC}}
		if err := blk.Decode(r, 0); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		blocks = append(blocks, blk)
	}
	// The engine writes nothing for an empty result, not even a header block.
	return &nativeRows{blocks: blocks, row: -1}, nil
}

type colType struct{ c column.Interface }

func (c colType) Name() string             { return c.c.Name() }
func (c colType) Nullable() bool           { _, ok := c.c.(*column.Nullable); return ok }
func (c colType) ScanType() reflect.Type   { return c.c.ScanType() }
func (c colType) DatabaseTypeName() string { return string(c.c.Type()) }

func (n *nativeRows) ColumnTypes() []driver.ColumnType {
	var out []driver.ColumnType
	if len(n.blocks) == 0 {
		return nil
	}
	for _, c := range n.blocks[0].Columns {
		out = append(out, colType{c})
	}
	return out
}

func (n *nativeRows) Next() bool {
	n.row++
	for n.b < len(n.blocks) && n.row >= n.blocks[n.b].Rows() {
		n.b, n.row = n.b+1, 0
	}
	return n.b < len(n.blocks)
}

func (n *nativeRows) Scan(dest ...any) error {
	for i, c := range n.blocks[n.b].Columns {
		if err := c.ScanRow(dest[i], n.row); err != nil {
			return err
		}
	}
	return nil
}

func (n *nativeRows) Err() error { return nil }

// renderVia runs query in the engine as Native, decodes and scans it like the server
// backend does, and renders it in format.
func renderVia(t testing.TB, e *chdb.Engine, query, format string) string {
	t.Helper()
	data, err := e.Query(query, "Native")
	if err != nil {
		t.Fatalf("native query: %v", err)
	}
	rows, err := decodeNative(data)
	if err != nil {
		t.Fatalf("decoding native: %v", err)
	}
	res, err := collect(rows)
	if err != nil {
		t.Fatal(err)
	}
	render, err := formatFor(format)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	render(&b, res)
	return b.String()
}
