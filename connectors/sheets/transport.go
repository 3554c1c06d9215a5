package sheets

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Retry holds the retry and pacing policy. Tests shrink the waits and replace Sleep.
type Retry struct {
	// RequestsPerMinute paces requests under Google's per-user quota (60 reads a minute).
	RequestsPerMinute int
	// MaxAttempts bounds tries per request (first try included).
	MaxAttempts int
	// BaseWait is the first backoff when the answer has no Retry-After; it doubles.
	BaseWait time.Duration
	// MaxWait caps one wait, Retry-After included.
	MaxWait time.Duration
	// MaxTotalWait fails the request once its waits add up to this: a long outage fails the
	// stream with a clear error instead of hanging.
	MaxTotalWait time.Duration
	// Sleep waits d or until ctx ends; nil sleeps for real.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the pacer's clock; nil is time.Now.
	Now func() time.Time
}

// DefaultRetry is the production policy.
func DefaultRetry() Retry {
	return Retry{RequestsPerMinute: 60, MaxAttempts: 6, BaseWait: 2 * time.Second, MaxWait: 64 * time.Second, MaxTotalWait: 3 * time.Minute}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryTransport paces requests and retries throttled and unavailable answers.
type retryTransport struct {
	base   http.RoundTripper
	policy Retry
	pacer  *pacer
}

// retryable reports whether a status is worth another try: quota (429) and the transient
// server answers Google documents for retry.
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	p := t.policy
	sleep := p.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		if err := t.pacer.wait(ctx, sleep); err != nil {
			return nil, err
		}
		r := req
		if attempt > 1 && req.Body != nil {
			if req.GetBody == nil {
				return nil, fmt.Errorf("cannot retry a request without GetBody")
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, err
			}
			wait = backoff(p, attempt)
		case retryable(resp.StatusCode):
			wait = retryAfter(resp.Header, p.Now)
			if wait <= 0 {
				wait = backoff(p, attempt)
			}
		default:
			return checkJSON(resp)
		}
		wait = min(wait, p.MaxWait)
		if attempt >= p.MaxAttempts || waited+wait > p.MaxTotalWait {
			if err != nil {
				return nil, fmt.Errorf("gave up after %d attempts over %s: %w", attempt, waited, err)
			}
			return resp, nil // the caller reports the last answer (status, Google's message)
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

// backoff is exponential with full jitter in its upper half: base·2^(n-1)·[0.5, 1).
func backoff(p Retry, attempt int) time.Duration {
	d := float64(p.BaseWait) * math.Pow(2, float64(attempt-1))
	d = math.Min(d, float64(p.MaxWait))
	return time.Duration(d * (0.5 + rand.Float64()/2))
}

// retryAfter reads Retry-After as seconds or an HTTP date; 0 when absent.
func retryAfter(h http.Header, now func() time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if now == nil {
			now = time.Now
		}
		return max(t.Sub(now()), 0)
	}
	return 0
}

// NotJSONError is a successful status whose body is not JSON (a captive portal, a proxy's
// HTML page): the client library would otherwise fail with a bare decode error.
type NotJSONError struct {
	Status      int
	ContentType string
}

func (e *NotJSONError) Error() string {
	return fmt.Sprintf("answer is not JSON (HTTP %d, Content-Type %q)", e.Status, e.ContentType)
}

func checkJSON(resp *http.Response) (*http.Response, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 || resp.StatusCode == http.StatusNoContent {
		return resp, nil
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return nil, &NotJSONError{Status: resp.StatusCode, ContentType: ct}
}

// pacer keeps at most n requests in any sliding minute.
type pacer struct {
	mu   sync.Mutex
	n    int
	now  func() time.Time
	sent []time.Time
}

func newPacer(perMinute int, now func() time.Time) *pacer {
	if now == nil {
		now = time.Now
	}
	return &pacer{n: perMinute, now: now}
}

func (p *pacer) wait(ctx context.Context, sleep func(context.Context, time.Duration) error) error {
	if p == nil || p.n <= 0 {
		return nil
	}
	for {
		p.mu.Lock()
		now := p.now()
		cut := 0
		for cut < len(p.sent) && now.Sub(p.sent[cut]) >= time.Minute {
			cut++
		}
		p.sent = p.sent[cut:]
		if len(p.sent) < p.n {
			p.sent = append(p.sent, now)
			p.mu.Unlock()
			return nil
		}
		d := time.Minute - now.Sub(p.sent[0])
		p.mu.Unlock()
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// clientTransport sends through the engine's instrumented client, so every attempt is
// counted in the run's stats.
type clientTransport struct{ c *http.Client }

func (t clientTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.c.Do(req)
}

// apiKeyTransport adds the API key to each request's query.
type apiKeyTransport struct {
	key  string
	base http.RoundTripper
}

func (t *apiKeyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	q := r.URL.Query()
	q.Set("key", t.key)
	r.URL.RawQuery = q.Encode()
	return t.base.RoundTrip(r)
}
