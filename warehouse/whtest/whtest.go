// Package whtest gives tests a real warehouse: the embedded chDB engine, one per test
// process (libchdb's rule), with a fresh database per test for isolation.
package whtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/chdb"
)

var (
	once    sync.Once
	shared  *warehouse.Embedded
	openErr error
	dir     string
	seq     atomic.Int64
)

// Engine returns the process's shared embedded engine, or skips the test with the reason
// when libchdb is not installed.
func Engine(t testing.TB) *warehouse.Embedded {
	t.Helper()
	if _, err := chdb.FindLibrary(); err != nil {
		t.Skipf("skipping: needs the embedded ClickHouse engine: %v", err)
	}
	once.Do(func() {
		dir, openErr = os.MkdirTemp("", "pmohub-whtest-")
		if openErr == nil {
			shared, openErr = warehouse.OpenEmbedded(dir)
		}
	})
	if openErr != nil {
		t.Fatalf("opening chDB: %v", openErr)
	}
	return shared
}

// nopClose keeps tests from closing the shared engine.
type nopClose struct{ *warehouse.Embedded }

func (nopClose) Close() error { return nil }

// New returns a migrated warehouse in a database of its own, for tenant.
func New(t testing.TB, tenant string) *warehouse.Warehouse {
	t.Helper()
	e := Engine(t)
	db := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
	w := warehouse.New(nopClose{e}, warehouse.Layout{Database: db}, tenant)
	if _, err := w.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	t.Cleanup(func() { _ = e.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db) })
	return w
}

// Dir is the shared engine's data directory.
func Dir() string { return dir }
