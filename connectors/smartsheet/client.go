package smartsheet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/pmohub/pmohub/connectors"
)

// Client is a small Smartsheet API 2.0 client: bearer auth, a client-side rate limiter,
// retries on throttling and server errors, and typed errors.
type Client struct {
	source string
	base   string
	token  connectors.Secret
	redact connectors.Auth
	http   *retryablehttp.Client
	// GiveUpAfter bounds the time spent retrying one call, so a long outage fails the
	// stream instead of hanging it.
	giveUpAfter time.Duration
	maxWait     time.Duration
}

// Retry says how the client retries throttled and failed calls.
type Retry struct {
	Max         int           // retries per call
	WaitMin     time.Duration // first backoff
	WaitMax     time.Duration // backoff cap (also caps a server's Retry-After)
	GiveUpAfter time.Duration // total retry time per call
}

// DefaultRetry suits the real API: 4003 carries no Retry-After, so back off exponentially
// from 2 s up to a minute (the quota window), for at most five minutes per call.
var DefaultRetry = Retry{Max: 8, WaitMin: 2 * time.Second, WaitMax: time.Minute, GiveUpAfter: 5 * time.Minute}

type ctxKey int

const (
	keyCost ctxKey = iota
	keyStart
)

// NewClient builds a client for one source. hc is the engine's instrumented client; its
// transport is wrapped with the limiter so every attempt, retries included, is paced.
func NewClient(source, baseURL string, token connectors.Secret, hc *http.Client, lim *Limiter, retry Retry, log *slog.Logger) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	inner := *hc
	inner.Transport = &limitTransport{base: hc.Transport, lim: lim}
	c := &Client{
		source: source, base: strings.TrimRight(baseURL, "/"), token: token,
		redact: connectors.Auth{"token": token}, giveUpAfter: retry.GiveUpAfter, maxWait: retry.WaitMax,
	}
	rc := &retryablehttp.Client{
		HTTPClient: &inner, RetryMax: retry.Max, RetryWaitMin: retry.WaitMin, RetryWaitMax: retry.WaitMax,
		CheckRetry: c.checkRetry, Backoff: c.backoff, ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	if log != nil {
		rc.Logger = log // *slog.Logger is a retryablehttp.LeveledLogger; URLs carry no secrets
	}
	c.http = rc
	return c
}

// checkRetry decides on status codes and transport errors only.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if start, ok := ctx.Value(keyStart).(time.Time); ok && c.giveUpAfter > 0 && time.Since(start) > c.giveUpAfter {
		return false, nil
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, nil
	}
	return false, nil
}

// backoff honours Retry-After when sent (capped), else doubles from min with jitter.
func (c *Client) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && secs >= 0 {
			return clampDur(time.Duration(secs)*time.Second+jitter(lo), lo, hi)
		}
	}
	d := lo << min(attempt, 20)
	if d <= 0 || d > hi {
		d = hi
	}
	return clampDur(d/2+jitter(d/2), lo, hi)
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(d, hi))
}

// get calls GET base+path and decodes the JSON answer into out. endpoint names the call
// in errors ("GET /sheets/123"); cost is the call's weight in the rate limit.
func (c *Client) get(ctx context.Context, path string, q url.Values, cost int, out any) error {
	endpoint := "GET " + path
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	ctx = context.WithValue(context.WithValue(ctx, keyCost, cost), keyStart, time.Now())
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return c.fail(endpoint, 0, "", "", fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+string(c.token))
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.fail(endpoint, 0, "", "", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return c.fail(endpoint, resp.StatusCode, "", "", fmt.Errorf("read body: %w", err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.statusError(endpoint, resp, body)
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return c.fail(endpoint, resp.StatusCode, "answered "+mediaType(resp)+", not JSON: "+snippet(body), "check the source URL (it must end in /2.0)", nil)
	}
	if err := jsonv2.Unmarshal(body, out, lenient); err != nil {
		return c.fail(endpoint, resp.StatusCode, "invalid or truncated JSON ("+err.Error()+")", "", err)
	}
	return nil
}

func (c *Client) statusError(endpoint string, resp *http.Response, body []byte) error {
	apiErr := &APIError{Status: resp.StatusCode}
	if !isJSON(resp.Header.Get("Content-Type")) || json.Unmarshal(body, apiErr) != nil || apiErr.ErrorCode == 0 {
		return c.fail(endpoint, resp.StatusCode, "answered "+mediaType(resp)+": "+snippet(body), hintFor(resp.StatusCode, 0), nil)
	}
	apiErr.Message = c.redact.Redact(apiErr.Message)
	return c.fail(endpoint, resp.StatusCode, apiErr.Error(), hintFor(resp.StatusCode, apiErr.ErrorCode), apiErr)
}

func (c *Client) fail(endpoint string, status int, msg, hint string, err error) error {
	if err != nil && msg == "" {
		msg = err.Error()
	}
	return &connectors.SourceError{Source: c.source, Endpoint: endpoint, Status: status, Message: c.redact.Redact(msg), Hint: hint, Err: err}
}

func hintFor(status, code int) string {
	switch {
	case code == codeTokenRequired || code == codeTokenInvalid || code == codeTokenExpired || status == http.StatusUnauthorized:
		return "the access token is missing, invalid, expired or revoked: issue a new one and update the source's auth"
	case code == codeNotAuthorized || status == http.StatusForbidden:
		return "the sheet is not shared with the token's user, or the user lacks access"
	case code == codeNotFound || status == http.StatusNotFound:
		return "no such sheet or workspace: check the id, or whether it was deleted"
	case code == codeRateLimited || status == http.StatusTooManyRequests:
		return "rate limited (300 requests a minute per token) for longer than the retry budget"
	case status >= 500:
		return "Smartsheet is failing; retried until the retry budget ran out"
	}
	return ""
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func mediaType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "no content type"
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return strconv.Quote(s)
}

// IsAuthError reports whether err means the token itself is refused: no other call of
// the run can succeed.
func IsAuthError(err error) bool {
	var se *connectors.SourceError
	return errors.As(err, &se) && se.Status == http.StatusUnauthorized
}

// limitTransport paces every attempt through the limiter.
type limitTransport struct {
	base http.RoundTripper
	lim  *Limiter
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	cost, _ := req.Context().Value(keyCost).(int)
	if t.lim != nil {
		if err := t.lim.Wait(req.Context(), max(cost, 1)); err != nil {
			return nil, err
		}
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}
