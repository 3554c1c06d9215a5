// Package scheduler syncs each source on its schedule for `pmohub serve`: runs are
// jittered so sources do not all hit their APIs at once, a source never runs twice at
// once, and a failing source backs off without holding up the others.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	stdsync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
)

// Syncer runs one source; *sync.Engine is one.
type Syncer interface {
	Sync(ctx context.Context, src *pmosync.Source, opts pmosync.Options) (warehouse.SyncRun, error)
}

// Job is a source and how often to sync it (config's sources[].schedule).
type Job struct {
	Source *pmosync.Source
	Every  time.Duration
}

// Options tune the scheduler. The zero value gives the defaults.
type Options struct {
	// Jitter spreads runs by up to ±this share of the interval (0.1, at most 0.5). The first run of
	// each source waits a random share of Jitter·Every, so a restart does not stampede.
	Jitter float64
	// MaxBackoff caps the wait after consecutive failures (4h, or Every if longer): the
	// wait doubles with each failure from Every.
	MaxBackoff time.Duration
	// Grace is how long running syncs may finish after shutdown begins before they are
	// cancelled (30s). A cancelled sync keeps what it committed; its cursor is only saved
	// after the data it covers, so the next run resumes safely.
	Grace time.Duration
	// Registerer receives the run metrics (nil: not registered).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Rand returns a number in [0, 1) (tests fix it).
	Rand func() float64
}

// Scheduler runs jobs until its context ends.
type Scheduler struct {
	syncer Syncer
	jobs   []Job
	opt    Options
	m      *runMetrics

	mu    stdsync.Mutex
	state map[string]*JobStatus
}

// JobStatus is a source's scheduling state.
type JobStatus struct {
	Source              string        `json:"source"`
	Every               time.Duration `json:"every_ns"`
	Running             bool          `json:"running"`
	NextRun             time.Time     `json:"next_run"`
	LastRun             *time.Time    `json:"last_run"`
	LastStatus          string        `json:"last_status"`
	LastError           string        `json:"last_error,omitempty"`
	LastSuccess         *time.Time    `json:"last_success"`
	ConsecutiveFailures int           `json:"consecutive_failures"`
}

// New checks the jobs and registers the metrics.
func New(s Syncer, jobs []Job, opt Options) (*Scheduler, error) {
	if opt.Jitter <= 0 {
		opt.Jitter = 0.1
	}
	opt.Jitter = min(opt.Jitter, 0.5) // a wait never shrinks below half the interval
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 4 * time.Hour
	}
	if opt.Grace <= 0 {
		opt.Grace = 30 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Rand == nil {
		opt.Rand = rand.Float64
	}
	sc := &Scheduler{syncer: s, jobs: jobs, opt: opt, state: map[string]*JobStatus{}}
	for _, j := range jobs {
		if j.Source == nil || j.Every <= 0 {
			return nil, fmt.Errorf("scheduler: each job needs a source and a positive interval")
		}
		name := j.Source.Name()
		if _, dup := sc.state[name]; dup {
			return nil, fmt.Errorf("scheduler: source %s is scheduled twice", name)
		}
		sc.state[name] = &JobStatus{Source: name, Every: j.Every}
	}
	m, err := newRunMetrics(opt.Registerer)
	if err != nil {
		return nil, err
	}
	sc.m = m
	return sc, nil
}

// Status returns every job's state, by source name.
func (s *Scheduler) Status() []JobStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JobStatus, 0, len(s.state))
	for _, st := range s.state {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

// Run syncs every job on its schedule until ctx ends, then waits for running syncs (at
// most Grace before cancelling them) and returns.
func (s *Scheduler) Run(ctx context.Context) error {
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(s.opt.Grace)
		defer t.Stop()
		<-t.C
		cancelRuns()
	})
	defer stop()
	var wg stdsync.WaitGroup
	for _, j := range s.jobs {
		wg.Go(func() { s.loop(ctx, runCtx, j) })
	}
	wg.Wait()
	return nil
}

// loop runs one source: wait, sync, compute the next wait, until ctx ends.
func (s *Scheduler) loop(ctx, runCtx context.Context, j Job) {
	name := j.Source.Name()
	log := s.opt.Logger.With("source", name)
	wait := time.Duration(s.opt.Rand() * s.opt.Jitter * float64(j.Every))
	failures := 0
	for {
		s.update(name, func(st *JobStatus) { st.NextRun = time.Now().Add(wait) })
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		ok := s.runOnce(runCtx, j, log)
		switch {
		case ok:
			failures = 0
		case ctx.Err() != nil:
			return
		default:
			failures++
		}
		s.update(name, func(st *JobStatus) { st.ConsecutiveFailures = failures })
		s.m.failures.WithLabelValues(name).Set(float64(failures))
		wait = s.next(j.Every, failures)
	}
}

// next is the wait before the following run: the interval, doubled per consecutive
// failure up to MaxBackoff, spread by ±Jitter.
func (s *Scheduler) next(every time.Duration, failures int) time.Duration {
	d := every
	limit := max(s.opt.MaxBackoff, every)
	for i := 0; i < failures && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	spread := (s.opt.Rand()*2 - 1) * s.opt.Jitter * float64(d)
	return d + time.Duration(spread)
}

// runOnce syncs a source once and records the outcome; false when it failed.
func (s *Scheduler) runOnce(ctx context.Context, j Job, log *slog.Logger) bool {
	name := j.Source.Name()
	start := time.Now()
	s.update(name, func(st *JobStatus) { st.Running = true })
	s.m.running.WithLabelValues(name).Set(1)
	run, err := s.syncer.Sync(ctx, j.Source, pmosync.Options{})
	s.m.running.WithLabelValues(name).Set(0)
	took := time.Since(start)
	status := run.Status
	switch {
	case errors.Is(err, pmosync.ErrBusy):
		// a `pmohub sync` of the same source is running in this process: not a failure
		status = "skipped"
	case err != nil && status == "" || err != nil && status == "running" || err != nil && status == "succeeded":
		status = "failed"
	case err == nil && status == "":
		status = "succeeded"
	}
	s.m.observe(name, status, took, run)
	now := time.Now()
	s.update(name, func(st *JobStatus) {
		st.Running, st.LastRun, st.LastStatus, st.LastError = false, &now, status, ""
		if err != nil {
			st.LastError = err.Error()
		}
		if status == "succeeded" {
			st.LastSuccess = &now
		}
	})
	switch status {
	case "succeeded":
		log.Info("sync finished", "took", took.Round(time.Millisecond), "records_read", run.RecordsRead, "records_written", run.RecordsWritten)
		return true
	case "skipped":
		log.Info("sync skipped: already running")
		return true
	}
	log.Warn("sync failed", "took", took.Round(time.Millisecond), "status", status, "err", err)
	return false
}

func (s *Scheduler) update(name string, fn func(*JobStatus)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.state[name])
}
