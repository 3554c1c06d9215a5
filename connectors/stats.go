package connectors

import (
	"net/http"
	"strconv"
	"sync/atomic"
)

// Stats counts a run's traffic; the engine copies it into sync_runs.
type Stats struct {
	Requests  atomic.Int64
	Throttled atomic.Int64
	// Problems counts source data a connector kept but reports: a duplicate or empty
	// key, a cell that does not fit its column. Each is logged with where it is.
	Problems atomic.Int64
}

// Transport counts every request and every throttled answer (429, 503 with Retry-After,
// and 403 with x-ratelimit-remaining: 0 or retry-after, as GitHub sends).
type Transport struct {
	Base  http.RoundTripper
	Stats *Stats
}

func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	t.Stats.Requests.Add(1)
	resp, err := base.RoundTrip(req)
	if err == nil && IsThrottled(resp) {
		t.Stats.Throttled.Add(1)
	}
	return resp, err
}

// IsThrottled reports whether a response is a rate-limit answer.
func IsThrottled(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true
	case http.StatusServiceUnavailable:
		return resp.Header.Get("Retry-After") != ""
	case http.StatusForbidden:
		if resp.Header.Get("Retry-After") != "" {
			return true
		}
		if rem := resp.Header.Get("X-Ratelimit-Remaining"); rem != "" {
			n, err := strconv.Atoi(rem)
			return err == nil && n == 0
		}
	}
	return false
}
