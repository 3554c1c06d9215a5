package sync

import (
	"context"
	"encoding/json"
	stdsync "sync"
	"sync/atomic"

	"github.com/pmohub/pmohub/connectors"
)

// batch is records gathered from pages, with the cursor of the last page.
type batch struct {
	records []connectors.Record
	cursor  json.RawMessage
}

// committer writes a stream's batches in order on its own goroutine. One batch waits
// while another is written: enough to overlap the source's latency with the warehouse's,
// without holding more than two batches in memory.
type committer struct {
	r      *run
	stream string
	work   chan batch
	done   chan struct{}
	busy   stdsync.WaitGroup
	total  atomic.Int64

	mu  stdsync.Mutex
	err error
}

func newCommitter(ctx context.Context, r *run, stream string) *committer {
	c := &committer{r: r, stream: stream, work: make(chan batch, 1), done: make(chan struct{})}
	go c.loop(ctx)
	return c
}

func (c *committer) loop(ctx context.Context) {
	defer close(c.done)
	for b := range c.work {
		if c.failed() == nil {
			if err := c.r.commit(ctx, c.stream, b.records, b.cursor); err != nil {
				c.fail(err)
			} else {
				n := c.total.Add(int64(len(b.records)))
				if p := c.r.e.Progress; p != nil {
					p(Progress{Source: c.r.src.Name(), Stream: c.stream, Records: n})
				}
			}
		}
		c.busy.Done()
	}
}

// submit queues a batch; it returns the error of an earlier batch, if any, so the
// connector stops fetching.
func (c *committer) submit(ctx context.Context, b batch) error {
	if err := c.failed(); err != nil {
		return err
	}
	c.busy.Add(1)
	select {
	case c.work <- b:
		return nil
	case <-ctx.Done():
		c.busy.Done()
		return ctx.Err()
	}
}

// wait blocks until every queued batch is written.
func (c *committer) wait() error {
	c.busy.Wait()
	return c.failed()
}

// close waits for the queue to drain and stops the goroutine.
func (c *committer) close() error {
	close(c.work)
	<-c.done
	return c.failed()
}

func (c *committer) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

func (c *committer) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// barrier makes a connector's reads of the raw layer see every page it emitted.
func (r *run) barrier() error {
	if c := r.current; c != nil {
		return c.wait()
	}
	return nil
}
