package chdb

import (
	"errors"
	"strings"
	"testing"
)

func TestEngineRoundTrip(t *testing.T) {
	if _, err := FindLibrary(); err != nil {
		t.Skipf("libchdb not installed: %v", err)
	}
	dir := t.TempDir()
	e, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Query("CREATE DATABASE IF NOT EXISTS t1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Query("CREATE TABLE t1.x (a String, b UInt64) ENGINE = MergeTree ORDER BY a", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Query("INSERT INTO t1.x FORMAT JSONEachRow {\"a\":\"é'\\\\\",\"b\":1}\n{\"a\":\"z\",\"b\":2}\n", ""); err != nil {
		t.Fatal(err)
	}
	out, err := e.Query("SELECT a, b FROM t1.x ORDER BY a", "JSONEachRow")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); !strings.Contains(got, `"a":"é'\\"`) || !strings.Contains(got, `"b":"2"`) && !strings.Contains(got, `"b":2`) {
		t.Fatalf("unexpected output %q", got)
	}
	_, err = e.Query("SELECT nope FROM t1.x", "")
	var ce *Error
	if err == nil || !asError(err, &ce) || ce.Code() != 47 {
		t.Fatalf("want unknown identifier error (code 47), got %v", err)
	}
	// a streamed answer comes whole, in pieces; an error from fn cancels it, and the
	// engine goes on; a query error comes back as *Error
	total, pieces := 0, 0
	if err := e.QueryStream("SELECT number FROM system.numbers LIMIT 1000000", "RowBinary", func(p []byte) error {
		total += len(p)
		pieces++
		return nil
	}); err != nil || total != 8_000_000 || pieces < 2 {
		t.Fatalf("streamed %d bytes in %d pieces: %v", total, pieces, err)
	}
	stop := errors.New("enough")
	if err := e.QueryStream("SELECT number FROM system.numbers LIMIT 1000000", "RowBinary", func([]byte) error { return stop }); err != stop {
		t.Fatalf("want fn's error back, got %v", err)
	}
	if err := e.QueryStream("SELECT nope FROM t1.x", "RowBinary", func([]byte) error { return nil }); err == nil || !asError(err, &ce) || ce.Code() != 47 {
		t.Fatalf("want unknown identifier error from a stream, got %v", err)
	}
	if out, err := e.Query("SELECT count() FROM t1.x", ""); err != nil || strings.TrimSpace(string(out)) != "2" {
		t.Fatalf("after a cancelled stream: %q %v", out, err)
	}
	// a Go panic after the engine installed its signal handlers must still be recoverable
	func() {
		defer func() { recover() }()
		var p *int
		_ = *p
	}()
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

// TestOpenReleasesLibraryCode: after Open, the library's start-up code is no longer
// resident in this process, and the engine still runs queries (its code faults back in).
func TestOpenReleasesLibraryCode(t *testing.T) {
	if _, err := FindLibrary(); err != nil {
		t.Skipf("libchdb not installed: %v", err)
	}
	e, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if n := releaseCode(libPath); n > 32<<20 {
		t.Fatalf("Open left %d MB of libchdb's code resident", n>>20)
	}
	out, err := e.Query("SELECT sum(number) FROM numbers(1000)", "")
	if err != nil || strings.TrimSpace(string(out)) != "499500" {
		t.Fatalf("query after release: %q, %v", out, err)
	}
	// the library's writable and relocated pages are untouched: the engine keeps working
	if _, err := e.Query("SELECT toDateTime64('2026-01-02 03:04:05', 3, 'UTC')", ""); err != nil {
		t.Fatal(err)
	}
}
