package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Engine is one chDB engine bound to one data directory. libchdb allows one engine per
// process: opening a second path while one is open silently returns the first engine, so
// Open refuses that instead of handing out the wrong warehouse.
type Engine struct {
	mu   sync.Mutex
	conn **byte
	path string
}

var (
	openMu   sync.Mutex
	openPath string
)

// Error is a query the engine rejected; Message is ClickHouse's own text.
type Error struct {
	Message string
}

func (e *Error) Error() string { return strings.TrimSpace(e.Message) }

// Code returns ClickHouse's numeric error code ("Code: 60. DB::Exception: ..."), or 0.
func (e *Error) Code() int {
	var code int
	if i := strings.Index(e.Message, "Code: "); i >= 0 {
		fmt.Sscanf(e.Message[i+6:], "%d", &code)
	}
	return code
}

// Open starts the engine on dir, creating it if needed.
func Open(dir string) (*Engine, error) {
	if err := load(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("creating warehouse directory: %w", err)
	}
	openMu.Lock()
	defer openMu.Unlock()
	if openPath != "" {
		return nil, fmt.Errorf("chdb: an engine is already open on %s in this process; close it before opening %s", openPath, abs)
	}
	args := append([]string{"clickhouse", "--path=" + abs}, strings.Fields(os.Getenv("PMOHUB_CHDB_ARGS"))...)
	cargs := make([]*byte, len(args))
	keep := make([][]byte, len(args))
	for i, a := range args {
		keep[i] = append([]byte(a), 0)
		cargs[i] = &keep[i][0]
	}
	saved := saveSignals()
	conn := fnConnect(int32(len(args)), &cargs[0])
	restoreSignals(saved)
	runtime.KeepAlive(keep)
	if conn == nil || *conn == nil {
		return nil, fmt.Errorf("chdb: could not open the warehouse at %s (is another pmohub process using it?)", abs)
	}
	openPath = abs
	releaseCode(libPath)
	return &Engine{conn: conn, path: abs}, nil
}

// Path is the engine's data directory.
func (e *Engine) Path() string { return e.path }

// Query runs one statement and returns its output in format (any ClickHouse output
// format; empty means TabSeparated).
func (e *Engine) Query(query, format string) ([]byte, error) {
	if format == "" {
		format = "TabSeparated"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		return nil, errors.New("chdb: engine is closed")
	}
	q := []byte(query)
	if len(q) == 0 {
		return nil, errors.New("chdb: empty query")
	}
	f := []byte(format)
	res := fnQueryN(*e.conn, &q[0], uintptr(len(q)), &f[0], uintptr(len(f)))
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	if res == nil {
		return nil, nil
	}
	defer fnDestroyResult(res)
	if msg := cstring(fnResultError(res)); msg != "" {
		return nil, &Error{Message: msg}
	}
	n := fnResultLength(res)
	if n == 0 {
		return nil, nil
	}
	buf := fnResultBuffer(res)
	if buf == nil {
		return nil, nil
	}
	out := make([]byte, n)
	copy(out, unsafe.Slice(buf, n))
	return out, nil
}

// QueryStream runs query and calls fn with its answer in the pieces the engine produces
// them (a block or a few), instead of one buffer grown to the whole answer: a large read
// then neither holds it all nor touches fresh memory for every doubling of the buffer.
// A piece is valid only during fn (it is the engine's memory): copy what must outlive it.
// An error from fn cancels the query and is returned.
func (e *Engine) QueryStream(query, format string, fn func(piece []byte) error) error {
	if format == "" {
		format = "TabSeparated"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		return errors.New("chdb: engine is closed")
	}
	q, f := []byte(query), []byte(format)
	if len(q) == 0 {
		return errors.New("chdb: empty query")
	}
	stream := fnStreamQueryN(*e.conn, &q[0], uintptr(len(q)), &f[0], uintptr(len(f)))
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	if stream == nil {
		return errors.New("chdb: streaming query did not start")
	}
	defer fnDestroyResult(stream)
	if msg := cstring(fnResultError(stream)); msg != "" {
		return &Error{Message: msg}
	}
	for {
		piece := fnStreamFetch(*e.conn, stream)
		if piece == nil {
			return errors.New("chdb: streaming fetch returned nothing")
		}
		if msg := cstring(fnResultError(piece)); msg != "" {
			fnDestroyResult(piece)
			return &Error{Message: msg}
		}
		n := fnResultLength(piece)
		if n == 0 {
			fnDestroyResult(piece)
			return nil
		}
		err := fn(unsafe.Slice(fnResultBuffer(piece), n))
		fnDestroyResult(piece)
		if err != nil {
			fnStreamCancel(*e.conn, stream)
			return err
		}
	}
}

// Close stops the engine; the directory lock is released.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		return nil
	}
	fnCloseConn(e.conn)
	e.conn = nil
	openMu.Lock()
	openPath = ""
	openMu.Unlock()
	return nil
}
