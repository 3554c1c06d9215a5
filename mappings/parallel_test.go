package mappings

import (
	"context"
	"errors"
	"testing"
	"time"
)

// InOrder hands results back in the order of their chunks, whatever order the workers
// finish in, and stops at the first error of emit.
func TestInOrder(t *testing.T) {
	feed := func(n int) func(send func(int) error) error {
		return func(send func(int) error) error {
			for i := range n {
				if err := send(i); err != nil {
					return err
				}
			}
			return nil
		}
	}
	work := func(i int) int {
		time.Sleep(time.Duration((7*i)%5) * time.Millisecond) // finish out of order
		return i * i
	}
	var got []int
	err := InOrder(t.Context(), feed(40), work, func(v int) error { got = append(got, v); return nil })
	if err != nil || len(got) != 40 {
		t.Fatalf("%v %v", got, err)
	}
	for i, v := range got {
		if v != i*i {
			t.Fatalf("result %d is %d: %v", i, v, got)
		}
	}
	stop := errors.New("stop")
	n := 0
	err = InOrder(t.Context(), feed(1000), work, func(int) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("err %v after %d results", err, n)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := InOrder(ctx, feed(10), work, func(int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
