package smartsheet

import (
	"context"
	"sync"
	"time"
)

// Limiter is a token bucket shared by every call made with one token: Smartsheet allows
// 300 requests a minute per token, and a cell-history call costs ten.
type Limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	// Now and Sleep are the clock; tests replace them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewLimiter allows perMinute requests a minute, in bursts of up to a sixth of that (so
// a fresh run cannot spend a whole minute's quota in its first second).
func NewLimiter(perMinute int) *Limiter {
	if perMinute <= 0 {
		perMinute = 300
	}
	burst := max(float64(perMinute)/6, 10)
	return &Limiter{rate: float64(perMinute) / 60, burst: burst, tokens: burst, Now: time.Now, Sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wait blocks until cost tokens are available.
func (l *Limiter) Wait(ctx context.Context, cost int) error {
	need := min(float64(cost), l.burst)
	for {
		l.mu.Lock()
		now := l.Now()
		if !l.last.IsZero() {
			l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
		}
		l.last = now
		if l.tokens >= need {
			l.tokens -= need
			l.mu.Unlock()
			return nil
		}
		wait := time.Duration((need - l.tokens) / l.rate * float64(time.Second))
		l.mu.Unlock()
		if err := l.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}
