package scheduler

import (
	"context"
	"errors"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pmohub/pmohub/connectors"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
)

func src(name string) *pmosync.Source {
	return &pmosync.Source{Config: connectors.SourceConfig{Name: name}}
}

// fakeSyncer records calls per source and fails the sources named in fail.
type fakeSyncer struct {
	mu       stdsync.Mutex
	calls    map[string][]time.Time
	inFlight map[string]int
	overlap  atomic.Bool
	fail     map[string]bool
	block    chan struct{} // when set, Sync waits on it or on ctx
	sawDone  atomic.Bool
}

func (f *fakeSyncer) Sync(ctx context.Context, s *pmosync.Source, _ pmosync.Options) (warehouse.SyncRun, error) {
	name := s.Name()
	f.mu.Lock()
	f.calls[name] = append(f.calls[name], time.Now())
	f.inFlight[name]++
	if f.inFlight[name] > 1 {
		f.overlap.Store(true)
	}
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight[name]--; f.mu.Unlock() }()
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			f.sawDone.Store(true)
			return warehouse.SyncRun{Source: name, Status: "cancelled"}, ctx.Err()
		}
	}
	time.Sleep(2 * time.Millisecond)
	if f.fail[name] {
		return warehouse.SyncRun{Source: name, Status: "failed", Requests: 1}, &connectors.SourceError{Source: name, Endpoint: "GET /x", Status: 500}
	}
	return warehouse.SyncRun{Source: name, Status: "succeeded", RecordsRead: 10, RecordsWritten: 7, Requests: 3, Throttled: 1}, nil
}

func newFake() *fakeSyncer {
	return &fakeSyncer{calls: map[string][]time.Time{}, inFlight: map[string]int{}, fail: map[string]bool{}}
}

func half() float64 { return 0.5 }

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	s, err := New(newFake(), nil, Options{MaxBackoff: time.Hour, Rand: half})
	if err != nil {
		t.Fatal(err)
	}
	every := 15 * time.Minute
	want := []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, time.Hour, time.Hour}
	for failures, w := range want {
		if got := s.next(every, failures); got != w {
			t.Errorf("after %d failures: wait %v, want %v", failures, got, w)
		}
	}
	// an interval longer than the cap is never shortened by it
	if got := s.next(2*time.Hour, 3); got != 2*time.Hour {
		t.Errorf("long interval: %v", got)
	}
	// jitter spreads by ±10%
	s.opt.Rand = func() float64 { return 0 }
	if got := s.next(every, 0); got != every-every/10 {
		t.Errorf("jitter low end: %v", got)
	}
}

func TestFailingSourceBacksOffOthersKeepGoing(t *testing.T) {
	f := newFake()
	f.fail["broken"] = true
	reg := prometheus.NewRegistry()
	jobs := []Job{{src("jira"), 20 * time.Millisecond}, {src("broken"), 20 * time.Millisecond}}
	s, err := New(f, jobs, Options{MaxBackoff: 160 * time.Millisecond, Rand: half, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	good, bad := f.calls["jira"], f.calls["broken"]
	f.mu.Unlock()
	if f.overlap.Load() {
		t.Error("two runs of the same source overlapped")
	}
	// healthy: about every 20 ms; broken: 20, 40, 80, 160, 160 … ms apart
	if len(good) < 8 || len(bad) > 8 || len(bad) < 2 {
		t.Fatalf("runs: jira %d, broken %d", len(good), len(bad))
	}
	if len(bad) >= 4 {
		first, third := bad[1].Sub(bad[0]), bad[3].Sub(bad[2])
		if third < first+first/2 {
			t.Errorf("backoff did not grow: gaps %v then %v", first, third)
		}
	}
	st := s.Status()
	if st[0].Source != "broken" || st[0].ConsecutiveFailures < 2 || st[0].LastStatus != "failed" || st[0].LastError == "" ||
		st[1].Source != "jira" || st[1].LastSuccess == nil || st[1].ConsecutiveFailures != 0 {
		t.Errorf("status %+v", st)
	}
	if n := testutil.ToFloat64(s.m.errors.WithLabelValues("broken")); n != float64(len(bad)) {
		t.Errorf("errors_total{broken} = %v, want %d", n, len(bad))
	}
	if n := testutil.ToFloat64(s.m.records.WithLabelValues("jira", "read")); n != float64(10*len(good)) {
		t.Errorf("records_total{jira,read} = %v, want %d", n, 10*len(good))
	}
	if n := testutil.ToFloat64(s.m.throttled.WithLabelValues("jira")); n != float64(len(good)) {
		t.Errorf("throttled_total{jira} = %v", n)
	}
	if n, err := testutil.GatherAndCount(reg, "pmohub_sync_duration_seconds"); err != nil || n != 2 {
		t.Errorf("duration series %d %v", n, err)
	}
}

func TestShutdownWaitsThenAbandons(t *testing.T) {
	for _, finish := range []bool{true, false} {
		f := newFake()
		f.block = make(chan struct{})
		s, err := New(f, []Job{{src("jira"), time.Hour}}, Options{Grace: 150 * time.Millisecond, Rand: func() float64 { return 0 }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = s.Run(ctx); close(done) }()
		for s.Status()[0].Running == false {
			time.Sleep(time.Millisecond)
		}
		cancel()
		if finish {
			time.Sleep(20 * time.Millisecond)
			close(f.block) // the batch finishes within the grace period
		}
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after shutdown")
		}
		if f.sawDone.Load() == finish {
			t.Errorf("finish=%v: sync cancelled=%v", finish, f.sawDone.Load())
		}
		if st := s.Status()[0]; st.Running {
			t.Errorf("still running after Run returned: %+v", st)
		}
	}
}

func TestBusySourceIsNotAFailure(t *testing.T) {
	busy := &busySyncer{}
	s, err := New(busy, []Job{{src("jira"), time.Hour}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.runOnce(context.Background(), Job{src("jira"), time.Hour}, s.opt.Logger) {
		t.Error("a busy source counted as failed")
	}
	if st := s.Status()[0]; st.LastStatus != "skipped" {
		t.Errorf("status %+v", st)
	}
	if _, err := New(busy, []Job{{src("a"), time.Hour}, {src("a"), time.Hour}}, Options{}); err == nil {
		t.Error("a source scheduled twice was accepted")
	}
}

type busySyncer struct{}

func (busySyncer) Sync(context.Context, *pmosync.Source, pmosync.Options) (warehouse.SyncRun, error) {
	return warehouse.SyncRun{Status: "skipped"}, errors.Join(pmosync.ErrBusy)
}
