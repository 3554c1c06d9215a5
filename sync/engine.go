package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	stdsync "sync"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// Engine runs syncs into one warehouse.
type Engine struct {
	WH     *warehouse.Warehouse
	Logger *slog.Logger
	// Transport is the base HTTP transport for connectors (nil: http.DefaultTransport).
	Transport http.RoundTripper
	// Concurrency bounds how many sources sync at once (default 4).
	Concurrency int
	// Progress, when set, is told about every committed page.
	Progress func(Progress)
	// FailPoint, when set, is called at each step of a commit ("canonical", "raw",
	// "cursor") and may return an error to simulate a crash there (tests only).
	FailPoint func(step string) error
	// Now is the clock (default time.Now).
	Now func() time.Time
	// BatchRecords is how many records are gathered before a commit (default 5000);
	// ClickHouse wants few, large inserts.
	BatchRecords int

	locksMu stdsync.Mutex
	locks   map[string]*stdsync.Mutex
}

// Progress reports a committed page.
type Progress struct {
	Source, Stream string
	Records        int64 // records committed so far in this stream
	Done           bool  // the stream finished
}

// Options tune one run.
type Options struct {
	// Full ignores saved cursors and re-reads everything.
	Full bool
}

// ErrBusy is returned when the same source is already syncing in this process.
var ErrBusy = errors.New("a sync of this source is already running")

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

// lock returns the per-source lock: never two runs of the same source at once.
func (e *Engine) lock(source string) *stdsync.Mutex {
	e.locksMu.Lock()
	defer e.locksMu.Unlock()
	if e.locks == nil {
		e.locks = map[string]*stdsync.Mutex{}
	}
	m := e.locks[source]
	if m == nil {
		m = &stdsync.Mutex{}
		e.locks[source] = m
	}
	return m
}

// Result is the outcome of one source's run.
type Result struct {
	Run warehouse.SyncRun
	Err error
}

// SyncAll syncs every source, several at once; one failing source never blocks the others.
func (e *Engine) SyncAll(ctx context.Context, sources []*Source, opts Options) []Result {
	n := e.Concurrency
	if n <= 0 {
		n = 4
	}
	results := make([]Result, len(sources))
	sem := make(chan struct{}, n)
	var wg stdsync.WaitGroup
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			run, err := e.sync(ctx, src, opts, false)
			results[i] = Result{Run: run, Err: err}
		}()
	}
	wg.Wait()
	for _, r := range results {
		if changed(r.Run) {
			e.refreshSnapshots(ctx)
			break
		}
	}
	return results
}

// changed reports whether a run wrote anything the snapshots show.
func changed(run warehouse.SyncRun) bool {
	return run.RecordsWritten > 0 || run.RecordsDeleted > 0
}

// refreshSnapshots rebuilds the warehouse's read snapshots after data changed. A failure
// only delays the dashboard's view of the new data, so it is logged, not returned.
func (e *Engine) refreshSnapshots(ctx context.Context) {
	if err := e.WH.RefreshSnapshots(context.WithoutCancel(ctx)); err != nil {
		e.logger().Error("refreshing read snapshots", "err", err)
	}
}

// Sync runs one source: every stream from its cursor, mapping each committed page.
func (e *Engine) Sync(ctx context.Context, src *Source, opts Options) (warehouse.SyncRun, error) {
	return e.sync(ctx, src, opts, true)
}

func (e *Engine) sync(ctx context.Context, src *Source, opts Options, refresh bool) (warehouse.SyncRun, error) {
	mu := e.lock(src.Name())
	if !mu.TryLock() {
		return warehouse.SyncRun{Source: src.Name(), Status: "skipped"}, fmt.Errorf("source %s: %w", src.Name(), ErrBusy)
	}
	defer mu.Unlock()

	r := &run{e: e, src: src, log: e.logger().With("source", src.Name()), stats: &connectors.Stats{}}
	r.row = warehouse.SyncRun{RunID: newRunID(e.now()), Source: src.Name(), StartedAt: e.now().UTC(), Status: "running", Full: opts.Full}
	if err := e.WH.SaveRun(ctx, r.row); err != nil {
		return r.row, fmt.Errorf("source %s: recording run start: %w", src.Name(), err)
	}
	err := r.execute(ctx, opts)
	r.finish(err)
	// The run's final row must be written even when ctx was cancelled (Ctrl-C).
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if serr := e.WH.SaveRun(saveCtx, r.row); serr != nil && err == nil {
		err = fmt.Errorf("source %s: recording run end: %w", src.Name(), serr)
	}
	if refresh && changed(r.row) {
		e.refreshSnapshots(ctx)
	}
	return r.row, err
}

// Mapper compiles a source's mapping for this warehouse.
func (e *Engine) Mapper(src *Source) (*mappings.Mapper, error) {
	return src.Mapping.Compile(mappings.Env{
		Tenant: e.WH.Tenant(), Source: src.Name(), SourceKind: src.Config.Kind, SourceURL: src.Config.URL,
	})
}
