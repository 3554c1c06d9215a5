package github

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

// rateTransport authenticates requests and waits out GitHub's rate limits. It sits above
// the engine's counting transport so every attempt, throttled or not, is counted.
//
// go-github v66 only recognises 403 as a rate limit and never retries; GitHub also
// answers 429. Decisions here use status codes, headers and the documented
// documentation_url of secondary limits, never error text.
type rateTransport struct {
	base          http.RoundTripper
	token         string
	host          string // the API host, the only one the token is sent to
	now           func() time.Time
	sleep         func(done <-chan struct{}, d time.Duration) bool
	maxWait       time.Duration
	secondaryBase time.Duration
	maxAttempts   int
	// stats counts the throttled answers the engine's transport cannot see (a secondary
	// limit named only in the body).
	stats *connectors.Stats
}

// waitDecision says how long to wait before retrying a response, or that it is final.
type waitDecision struct {
	retry bool
	wait  time.Duration
}

func (t *rateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	// The token goes to the API host only, never to where a redirect may lead.
	if t.token != "" && req.URL.Host == t.host {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		d := t.decide(resp, attempt)
		if !d.retry || attempt >= t.maxAttempts || waited+d.wait > t.maxWait {
			return resp, nil
		}
		// Drain so the connection is reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if !t.sleep(req.Context().Done(), d.wait) {
			return nil, req.Context().Err()
		}
		waited += d.wait
	}
}

func (t *rateTransport) decide(resp *http.Response, attempt int) waitDecision {
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusTooManyRequests:
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		if ra, ok := retryAfter(resp.Header, t.now()); ok {
			return waitDecision{true, clampWait(ra)}
		}
		return waitDecision{true, t.backoff(time.Second, attempt)}
	default:
		return waitDecision{}
	}
	h := resp.Header
	if h.Get("X-Ratelimit-Remaining") == "0" {
		// Primary limit: wait for the reset (epoch seconds), plus a little jitter.
		if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return waitDecision{true, clampWait(time.Unix(reset, 0).Sub(t.now())) + jitter(time.Second)}
		}
	}
	if ra, ok := retryAfter(h, t.now()); ok {
		// Secondary limit with a hint; back off further on repeats.
		ra = clampWait(ra)
		if attempt > 1 {
			ra += t.backoff(t.secondaryBase, attempt-1)
		}
		return waitDecision{true, ra}
	}
	if isSecondaryBody(resp) {
		if t.stats != nil && !connectors.IsThrottled(resp) {
			t.stats.Throttled.Add(1)
		}
		return waitDecision{true, t.backoff(t.secondaryBase, attempt)}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return waitDecision{true, t.backoff(t.secondaryBase, attempt)}
	}
	// A plain 403 (no access, or an Enterprise server without rate-limit headers) is final.
	return waitDecision{}
}

// backoff doubles base per attempt, with jitter.
func (t *rateTransport) backoff(base time.Duration, attempt int) time.Duration {
	w := base << (attempt - 1)
	if w > t.maxWait || w <= 0 {
		w = t.maxWait
	}
	return w + jitter(base/4+1)
}

// clampWait bounds a server-given wait to [0, a day]: any longer is "too long" for
// maxWait anyway, and the bound keeps the sums below from overflowing.
func clampWait(d time.Duration) time.Duration {
	return min(max(d, 0), 24*time.Hour)
}

func jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}

func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// isSecondaryBody reports a secondary-limit answer identified only by its documented
// documentation_url. The body is put back for the caller.
func isSecondaryBody(resp *http.Response) bool {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return false
	}
	var body struct {
		DocumentationURL string `json:"documentation_url"`
	}
	if jsonUnmarshal(data, &body) != nil {
		return false
	}
	u := body.DocumentationURL
	return strings.HasSuffix(u, "secondary-rate-limits") || strings.HasSuffix(u, "#abuse-rate-limits")
}

// defaultSleep waits d or until done closes; false means it was cancelled.
func defaultSleep(done <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-done:
		return false
	}
}
