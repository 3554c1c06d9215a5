package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v66/github"

	"github.com/pmohub/pmohub/connectors"
)

var jsonUnmarshal = json.Unmarshal

// client is one run's view of the API: go-github for requests, URLs and error bodies;
// raw bytes kept so payloads are stored exactly as fetched.
type client struct {
	gh      *gh.Client
	src     string
	auth    connectors.Auth
	log     *slog.Logger
	now     func() time.Time
	sleep   func(done <-chan struct{}, d time.Duration) bool
	maxWait time.Duration
}

func (c *Connector) newClient(env *connectors.Env) *client {
	base := http.DefaultTransport
	var timeout time.Duration
	if env != nil && env.HTTP != nil {
		if env.HTTP.Transport != nil {
			base = env.HTTP.Transport
		}
		timeout = env.HTTP.Timeout
	}
	now := time.Now
	if env != nil && env.Now != nil {
		now = env.Now
	}
	sleep := c.Sleep
	if sleep == nil {
		sleep = defaultSleep
	}
	var stats *connectors.Stats
	if env != nil {
		stats = env.Stats
	}
	rt := &rateTransport{base: base, stats: stats, token: c.src.Auth.Get("token"), host: c.baseURL.Host, now: now, sleep: sleep,
		maxWait: c.cfg.MaxWait, secondaryBase: c.SecondaryBase, maxAttempts: max(c.MaxAttempts, 1)}
	g := gh.NewClient(&http.Client{Transport: rt, Timeout: timeout})
	u := *c.baseURL
	g.BaseURL = &u
	return &client{gh: g, src: c.src.Name, auth: c.src.Auth, log: c.logger(env), now: now, sleep: sleep, maxWait: c.cfg.MaxWait}
}

// page is one answer of a list or get call.
type page struct {
	NotModified bool
	Body        []byte
	ETag        string
	Next        string // the Link header's rel="next", absolute; "" on the last page
	Status      int
	endpoint    string
}

// get fetches rawURL (relative to the API base, or absolute as a Link header gives it),
// conditionally when etag is set. A 304 is "unchanged", never an error.
func (cl *client) get(ctx context.Context, rawURL, etag string) (*page, error) {
	req, err := cl.gh.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("source %s: build request %s: %w", cl.src, rawURL, err)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	endpoint := "GET " + req.URL.Path
	var buf bytes.Buffer
	resp, err := cl.gh.Do(ctx, req, &buf)
	var rl *gh.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil && rl.Response.Header.Get("X-Ratelimit-Remaining") == "" {
		// go-github refused locally: the last answer used the budget up. Wait for the
		// reset (within max_wait) and ask once more.
		wait := clampWait(rl.Rate.Reset.Sub(cl.now())) + time.Second
		if wait <= cl.maxWait && cl.sleep(ctx.Done(), wait) {
			buf.Reset()
			resp, err = cl.gh.Do(ctx, req, &buf)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if resp != nil && resp.Response != nil && resp.StatusCode == http.StatusNotModified {
			return &page{NotModified: true, ETag: etag, Status: http.StatusNotModified}, nil
		}
		return nil, cl.sourceError(endpoint, resp, err)
	}
	p := &page{Body: buf.Bytes(), ETag: resp.Header.Get("ETag"), Status: resp.StatusCode,
		Next: nextLink(resp.Header.Get("Link"))}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "" && !strings.Contains(mt, "json") {
			return nil, &connectors.SourceError{Source: cl.src, Endpoint: endpoint, Status: resp.StatusCode,
				Message: fmt.Sprintf("answered %s instead of JSON", mt),
				Hint:    "check the url: it must point at the API (https://api.github.com/ or https://<host>/api/v3/)"}
		}
	}
	// Lists are validated when split, objects when decoded: one pass over each page.
	p.endpoint = endpoint
	return p, nil
}

// sourceError turns a go-github failure into a SourceError naming the endpoint and status.
func (cl *client) sourceError(endpoint string, resp *gh.Response, err error) error {
	se := &connectors.SourceError{Source: cl.src, Endpoint: endpoint, Err: err}
	if resp != nil && resp.Response != nil {
		se.Status = resp.StatusCode
	}
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		se.Message = rl.Message
		se.Hint = fmt.Sprintf("primary rate limit exhausted until %s; raise max_wait or sync later", rl.Rate.Reset.UTC().Format(time.RFC3339))
	case errors.As(err, &ab):
		se.Message = ab.Message
		se.Hint = "secondary rate limit persisted through the retries; sync later or with fewer sources at once"
	case errors.As(err, &er):
		se.Message = er.Message
	default:
		se.Message = err.Error()
	}
	if resp != nil && resp.Response != nil && resp.Header.Get("Content-Type") != "" && !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		se.Message = fmt.Sprintf("answered %s, not the GitHub API", mt)
		se.Hint = "check the url: it must be the API base (https://api.github.com/ or https://<host>/api/v3/)"
	}
	if se.Status == http.StatusTooManyRequests && se.Hint == "" {
		se.Hint = "rate limited through every retry; sync later"
	}
	switch se.Status {
	case http.StatusUnauthorized:
		se.Hint = "the token is invalid, expired or revoked: check auth.token"
	case http.StatusNotFound:
		if se.Hint == "" {
			se.Hint = "it does not exist or is private to this token"
		}
	case http.StatusForbidden:
		if se.Hint == "" {
			se.Hint = "the token lacks access (scopes, SSO authorisation or IP allow list)"
		}
	}
	se.Message = cl.auth.Redact(se.Message)
	se.Err = redactedError{msg: cl.auth.Redact(err.Error()), err: err}
	return se
}

// redactedError keeps the chain for errors.As while printing without secrets.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// nextLink returns the rel="next" URL of a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		segs := strings.Split(part, ";")
		if len(segs) < 2 {
			continue
		}
		for _, s := range segs[1:] {
			if strings.TrimSpace(s) == `rel="next"` {
				return strings.Trim(strings.TrimSpace(segs[0]), "<>")
			}
		}
	}
	return ""
}

// decodeList splits a JSON array answer into its elements, untouched.
func decodeList(p *page, endpoint, src string) ([]json.RawMessage, error) {
	items, err := splitList(p.Body)
	if err != nil {
		return nil, notJSON(p, endpoint, src, err)
	}
	return items, nil
}

// notJSON reports an answer that does not parse (truncated, or not what the API sends).
func notJSON(p *page, endpoint, src string, err error) error {
	if p.endpoint != "" {
		endpoint = p.endpoint
	}
	return &connectors.SourceError{Source: src, Endpoint: endpoint, Status: p.Status,
		Message: fmt.Sprintf("response is not valid JSON of the expected shape (%d bytes): %v", len(p.Body), err), Err: err}
}

func repoPath(repo string) string {
	o, n, _ := strings.Cut(repo, "/")
	return "repos/" + url.PathEscape(o) + "/" + url.PathEscape(n)
}

// micros is the Version scale of every stream: the source's change time in microseconds.
func micros(t time.Time) uint64 {
	if t.IsZero() || t.Before(time.Unix(0, 0)) {
		return 0
	}
	return uint64(t.UnixMicro())
}
