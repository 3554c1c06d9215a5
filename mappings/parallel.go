package mappings

import (
	"context"
	"runtime"
	"sync"
)

// InOrder runs work on every core over the chunks feed sends, and passes the results to
// emit one at a time, in the order feed sent the chunks: a re-mapping or a preview maps
// in parallel and still writes or counts exactly as a serial loop would. feed runs in its
// own goroutine; send blocks while the workers are busy (a few chunks are in flight) and
// fails once the pipeline stops. The first error of feed or emit (or ctx's) stops
// everything and is returned.
func InOrder[In, Out any](ctx context.Context, feed func(send func(In) error) error, work func(In) Out, emit func(Out) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type task struct {
		seq int
		in  In
	}
	type result struct {
		seq int
		out Out
	}
	workers := runtime.GOMAXPROCS(0)
	tasks := make(chan task, workers)
	results := make(chan result, 2*workers)
	go func() {
		defer close(tasks)
		seq := 0
		err := feed(func(in In) error {
			select {
			case tasks <- task{seq, in}:
				seq++
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
		if err != nil {
			cancel(err)
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				r := result{t.seq, work(t.in)}
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	waiting := map[int]Out{}
	next := 0
	for r := range results {
		if ctx.Err() != nil {
			continue // drain, so that the workers end
		}
		waiting[r.seq] = r.out
		for {
			out, ok := waiting[next]
			if !ok {
				break
			}
			delete(waiting, next)
			next++
			if err := emit(out); err != nil {
				cancel(err)
				break
			}
		}
	}
	return context.Cause(ctx)
}
