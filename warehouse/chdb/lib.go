// Package chdb is the embedded warehouse backend: ClickHouse's own engine, in process,
// through libchdb.so loaded lazily with purego. Loading lazily (rather than in a package
// init, as chdb-go does) lets the server backend run without the library and lets a
// missing library become one clear error instead of a panic.
package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Version is the libchdb release the project pins (scripts/install-libchdb.sh).
const Version = "26.5.3"

// ErrLibraryMissing says libchdb.so could not be found; its message tells how to get it.
var ErrLibraryMissing = errors.New("libchdb.so not found")

type chdbResult struct{ internal unsafe.Pointer }

var (
	loadOnce sync.Once
	loadErr  error
	libPath  string

	fnConnect        func(argc int32, argv **byte) **byte
	fnCloseConn      func(conn **byte)
	fnQueryN         func(conn *byte, query *byte, queryLen uintptr, format *byte, formatLen uintptr) *chdbResult
	fnResultBuffer   func(res *chdbResult) *byte
	fnResultLength   func(res *chdbResult) uintptr
	fnResultError    func(res *chdbResult) *byte
	fnResultRowsRead func(res *chdbResult) uint64
	fnDestroyResult  func(res *chdbResult)
	fnStreamQueryN   func(conn *byte, query *byte, queryLen uintptr, format *byte, formatLen uintptr) *chdbResult
	fnStreamFetch    func(conn *byte, res *chdbResult) *chdbResult
	fnStreamCancel   func(conn *byte, res *chdbResult)
)

// CacheDir is where scripts/install-libchdb.sh puts the library.
func CacheDir() string {
	if d := os.Getenv("PMOHUB_CACHE_DIR"); d != "" {
		return filepath.Join(d, "chdb", Version)
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "pmohub", "chdb", Version)
}

// FindLibrary returns the path of libchdb.so: CHDB_LIB_PATH, then the project cache.
func FindLibrary() (string, error) {
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w at CHDB_LIB_PATH=%s (%v): unset it to use the project cache, or run `make libchdb` (scripts/install-libchdb.sh) to fetch @chdb/lib-linux-x64-gnu@%s", ErrLibraryMissing, p, err, Version)
		}
		return p, nil
	}
	p := filepath.Join(CacheDir(), "libchdb.so")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: the embedded warehouse needs it; run `make libchdb` (or scripts/install-libchdb.sh) to fetch @chdb/lib-linux-x64-gnu@%s into %s, or set CHDB_LIB_PATH", ErrLibraryMissing, Version, CacheDir())
}

func load() error {
	loadOnce.Do(func() {
		p, err := FindLibrary()
		if err != nil {
			loadErr = err
			return
		}
		tuneAllocator()
		h, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			loadErr = fmt.Errorf("loading %s: %w", p, err)
			return
		}
		libPath = p
		purego.RegisterLibFunc(&fnConnect, h, "chdb_connect")
		purego.RegisterLibFunc(&fnCloseConn, h, "chdb_close_conn")
		purego.RegisterLibFunc(&fnQueryN, h, "chdb_query_n")
		purego.RegisterLibFunc(&fnResultBuffer, h, "chdb_result_buffer")
		purego.RegisterLibFunc(&fnResultLength, h, "chdb_result_length")
		purego.RegisterLibFunc(&fnResultError, h, "chdb_result_error")
		purego.RegisterLibFunc(&fnResultRowsRead, h, "chdb_result_rows_read")
		purego.RegisterLibFunc(&fnDestroyResult, h, "chdb_destroy_query_result")
		purego.RegisterLibFunc(&fnStreamQueryN, h, "chdb_stream_query_n")
		purego.RegisterLibFunc(&fnStreamFetch, h, "chdb_stream_fetch_result")
		purego.RegisterLibFunc(&fnStreamCancel, h, "chdb_stream_cancel_query")
	})
	return loadErr
}

// allocatorConf is given to the jemalloc inside libchdb (read once, as the library loads)
// unless JE_MALLOC_CONF is set already. ClickHouse keeps freed pages for 5 s so that a
// server's next query can reuse them; a sync frees tens of MB per batch every second or
// two, and the kept pages added 100–250 MB to its peak RSS. Measured on a 50k-item GitHub
// sync: 0 ms gave 576–599 MB at 4,600–6,000 items/s (returning pages costs system time),
// 1 s gave 668–710 MB at 5,700–6,800, the default 5 s 670–790 MB at 6,200–7,400.
const allocatorConf = "dirty_decay_ms:1000"

func tuneAllocator() {
	if _, ok := os.LookupEnv("JE_MALLOC_CONF"); !ok {
		_ = os.Setenv("JE_MALLOC_CONF", allocatorConf)
	}
}

func cstring(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}
