package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/pmohub/pmohub/connectors"
)

const (
	deployCloud = "Cloud"
	deployDC    = "DataCenter"
)

// session is one stream's sync: the go-jira client on the engine's counting HTTP client.
type session struct {
	c   *Connector
	jc  *gojira.Client
	env *connectors.Env
	log *slog.Logger
	now func() time.Time
	// noBulk is set once the site turned out to lack the bulk changelog endpoint.
	noBulk atomic.Bool
}

func (c *Connector) session(req connectors.SyncRequest) (*session, error) {
	env := req.Env
	if env == nil {
		env = &connectors.Env{}
	}
	hc := env.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	jc, err := gojira.NewClient(hc, c.base.String())
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", c.src.Name, err)
	}
	if email := c.src.Auth.Get("email"); email != "" {
		jc.Authentication.SetBasicAuth(email, c.src.Auth.Get("token"))
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	return &session{c: c, jc: jc, env: env, log: c.logger(env, req.Stream), now: now}, nil
}

// call sends one request and returns the body of a 2xx answer. It waits out 429 and 503
// (and transport failures) as Retry-After / X-RateLimit-Reset say, with jitter, and gives
// up with a SourceError once the source has been unavailable for GiveUpAfter.
func (s *session) call(ctx context.Context, method, path string, query url.Values, body any) ([]byte, error) {
	endpoint := method + " " + s.c.base.Path + path
	target := path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		req, err := s.jc.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return nil, s.fail(endpoint, 0, "", "", err)
		}
		req.Header.Set("Accept", "application/json")
		if s.c.src.Auth.Get("email") == "" { // Data Center personal access token
			req.Header.Set("Authorization", "Bearer "+s.c.src.Auth.Get("token"))
		}
		resp, err := s.jc.Do(req, nil)
		if resp == nil || resp.Response == nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A transport failure: wait like for an outage, then try again.
			wait := backoff(attempt, s.c.cfg.MaxWait, s.c.Jitter())
			if waited+wait > s.c.cfg.GiveUpAfter {
				return nil, s.fail(endpoint, 0, "", fmt.Sprintf("unreachable for %s; check url and the network", waited.Round(time.Second)), err)
			}
			s.log.Warn("jira unreachable, retrying", "endpoint", endpoint, "wait", wait, "attempt", attempt+1)
			if err := s.c.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			waited += wait
			continue
		}
		data, readErr := io.ReadAll(resp.Body)
		resp.Body.Close()
		status := resp.StatusCode
		if retryable(status) {
			wait := retryWait(resp.Header, s.now(), attempt, s.c.cfg.MaxWait, s.c.Jitter())
			if waited+wait > s.c.cfg.GiveUpAfter {
				return nil, s.fail(endpoint, status, jiraMessage(data),
					fmt.Sprintf("throttled or unavailable for %s; the next sync resumes from the saved cursor", waited.Round(time.Second)), nil)
			}
			s.log.Warn("jira throttled, waiting", "endpoint", endpoint, "status", status, "wait", wait, "attempt", attempt+1)
			if err := s.c.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			waited += wait
			continue
		}
		if status < 200 || status > 299 {
			return nil, s.fail(endpoint, status, jiraMessage(data), hintFor(status), nil)
		}
		if readErr != nil {
			return nil, s.fail(endpoint, status, "the response body was cut off", "network or proxy trouble; run the sync again", readErr)
		}
		if looksHTML(resp.Header.Get("Content-Type"), data) {
			return nil, s.fail(endpoint, status, "answered HTML instead of JSON",
				"url must be the Jira site root (https://<site>.atlassian.net or the Data Center base URL), not a login page or proxy", nil)
		}
		return data, nil
	}
}

// get calls and decodes a JSON answer.
func (s *session) get(ctx context.Context, method, path string, query url.Values, body, out any) error {
	data, err := s.call(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return s.fail(method+" "+s.c.base.Path+path, http.StatusOK, "the response is not valid JSON (truncated?)", "network or proxy trouble; run the sync again", err)
	}
	return nil
}

// fail builds the SourceError for this source, with secrets redacted.
func (s *session) fail(endpoint string, status int, msg, hint string, err error) error {
	if err != nil {
		err = errors.New(s.c.src.Auth.Redact(err.Error()))
	}
	return &connectors.SourceError{Source: s.c.src.Name, Endpoint: endpoint, Status: status,
		Message: s.c.src.Auth.Redact(msg), Hint: hint, Err: err}
}

func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func hintFor(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "check auth: Jira Cloud needs email + API token, Data Center a personal access token (token only)"
	case http.StatusForbidden:
		return "the user lacks permission (Browse projects) or the site blocks API access"
	case http.StatusNotFound:
		return "check url is the site root and that the project or issue exists"
	case http.StatusBadRequest:
		return "check projects and jql in pmohub.yaml"
	case http.StatusGone:
		return "Jira removed this endpoint; upgrade pmohub"
	}
	return ""
}

func looksHTML(contentType string, data []byte) bool {
	if len(contentType) >= 9 && contentType[:9] == "text/html" {
		return true
	}
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] == '<'
}

// jiraMessage extracts Jira's {errorMessages, errors} text, or a short excerpt of a body
// that is not in that shape.
func jiraMessage(data []byte) string {
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
		Message       string            `json:"message"`
	}
	if json.Unmarshal(data, &e) == nil {
		var b bytes.Buffer
		for _, m := range e.ErrorMessages {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(m)
		}
		for _, k := range sortedKeys(e.Errors) {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(k + ": " + e.Errors[k])
		}
		if b.Len() == 0 {
			b.WriteString(e.Message)
		}
		if b.Len() > 0 {
			return b.String()
		}
	}
	if looksHTML("", data) {
		return "answered HTML instead of JSON"
	}
	const max = 200
	t := bytes.TrimSpace(data)
	if len(t) > max {
		return string(t[:max]) + "…"
	}
	return string(t)
}

// retryWait is how long to wait before retrying a throttled answer: Retry-After (seconds
// or an HTTP date), else X-RateLimit-Reset, else exponential backoff; jitter spreads
// clients that were throttled together, and MaxWait caps a single wait.
func retryWait(h http.Header, now time.Time, attempt int, maxWait time.Duration, jitter float64) time.Duration {
	var d time.Duration
	if ra := h.Get("Retry-After"); ra != "" {
		if secs, err := parseSeconds(ra); err == nil {
			d = secs
		} else if t, err := http.ParseTime(ra); err == nil {
			d = t.Sub(now)
		}
	}
	if d <= 0 {
		if reset := h.Get("X-RateLimit-Reset"); reset != "" {
			if t, err := time.Parse(time.RFC3339, reset); err == nil {
				d = t.Sub(now)
			}
		}
	}
	if d <= 0 {
		return backoff(attempt, maxWait, jitter)
	}
	d += time.Duration(float64(d) * 0.25 * jitter)
	return min(d, maxWait)
}

func parseSeconds(v string) (time.Duration, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 86400 {
		return 0, fmt.Errorf("bad seconds %q", v)
	}
	return time.Duration(n) * time.Second, nil
}

// backoff is 500ms doubling per attempt, with jitter, capped.
func backoff(attempt int, maxWait time.Duration, jitter float64) time.Duration {
	d := 500 * time.Millisecond << min(attempt, 10)
	d += time.Duration(float64(d) * jitter)
	return min(d, maxWait)
}

func defaultJitter() float64 { return rand.Float64() }

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

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
