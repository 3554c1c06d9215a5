package githubfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ThrottleMode is how the fake refuses a throttled request.
type ThrottleMode int

const (
	// Secondary429 answers 429 with Retry-After, as secondary limits often do.
	Secondary429 ThrottleMode = iota
	// Secondary403 answers 403 with Retry-After.
	Secondary403
	// SecondaryNoHeader answers 403 with only the secondary-limit documentation_url.
	SecondaryNoHeader
	// Primary403 answers 403 with x-ratelimit-remaining: 0 and a reset time.
	Primary403
	// Primary429 answers 429 with x-ratelimit-remaining: 0 and a reset time.
	Primary429
)

// Request is one logged request.
type Request struct {
	Method, Path, Query string
	Status              int
}

// Server is the fake API. Create it with New; drive its data with the Add/Update methods.
type Server struct {
	data
	// Token is the accepted token ("Authorization: Bearer …" or "token …").
	Token string
	// PrivateToken, when it is the token used, also sees private repositories.
	PrivateToken string
	// Enterprise serves under /api/v3/ without rate-limit headers, like many GHES hosts.
	Enterprise bool
	// Clock gives change times; by default a fake clock that ticks a second per change.
	Clock func() time.Time
	// RetryAfter is the Retry-After (seconds) of throttled answers; Reset the seconds to
	// the primary reset.
	RetryAfter, Reset int

	srv      *httptest.Server
	tick     time.Time
	logMu    sync.Mutex
	log      []Request
	throttle []ThrottleMode
	// Break makes every answer a fixed failure: "html" (a proxy's HTML page), "truncated"
	// (a cut-off JSON body) or "" for normal answers.
	Break string
	// remaining counts the primary budget, 304s excluded.
	remaining int
	limit     int
}

// New builds a fake accepting token, with its clock starting at 2025-01-06 09:00 UTC.
func New(token string) *Server {
	s := &Server{Token: token, tick: time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC), RetryAfter: 1, Reset: 60,
		limit: 5000, remaining: 5000}
	s.repos, s.users, s.projects = map[string]*Repo{}, map[string]*User{}, map[string]*Project{}
	return s
}

// Start serves the fake on loopback; Close stops it.
func (s *Server) Start() *Server {
	s.srv = httptest.NewServer(s)
	return s
}

// Close stops the server.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// URL is the API base URL to configure: the root, or /api/v3/ in Enterprise mode.
func (s *Server) URL() string {
	if s.Enterprise {
		return s.srv.URL + "/api/v3/"
	}
	return s.srv.URL + "/"
}

func (s *Server) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC().Truncate(time.Second)
	}
	s.tick = s.tick.Add(time.Second)
	return s.tick
}

// wallNow is the server's wall clock for rate-limit resets (Clock when set).
func (s *Server) wallNow() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// SetRateLimit sets the primary budget (5000 by default, as for a personal token).
func (s *Server) SetRateLimit(n int) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.limit, s.remaining = n, n
}

// Throttle makes the next n requests fail with mode.
func (s *Server) Throttle(n int, mode ThrottleMode) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	for range n {
		s.throttle = append(s.throttle, mode)
	}
}

// Requests returns the request log.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetLog clears the request log.
func (s *Server) ResetLog() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = nil
}

// CountStatus counts logged answers with a status.
func (s *Server) CountStatus(status int) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Status == status {
			n++
		}
	}
	return n
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(c int) { r.status = c; r.ResponseWriter.WriteHeader(c) }

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := &recorder{ResponseWriter: w, status: 200}
	defer func() {
		s.logMu.Lock()
		s.log = append(s.log, Request{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Status: rec.status})
		s.logMu.Unlock()
	}()
	s.serve(rec, req)
}

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	path := req.URL.Path
	prefix := "/"
	if s.Enterprise {
		if !strings.HasPrefix(path, "/api/v3/") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, "<html><body>Not Found</body></html>")
			return
		}
		prefix = "/api/v3/"
	}
	path = strings.TrimPrefix(path, prefix)
	u := urls{api: "http://" + req.Host + prefix, web: "http://" + req.Host + "/"}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")

	if !s.authorised(req) {
		s.errorJSON(w, http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest")
		return
	}
	if s.throttled(w) {
		return
	}
	switch s.Break {
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "<!DOCTYPE html><html><body><h1>Sign in to your proxy</h1></body></html>")
		return
	case "truncated":
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `[{"id": 1, "title": "cut of`)
		return
	}
	if req.Method != http.MethodGet {
		s.errorJSON(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
		return
	}
	s.mu.RLock()
	status, body, link, loc := s.route(u, path, req.URL.Query(), req.Header.Get("Authorization"))
	s.mu.RUnlock()
	if loc != "" {
		w.Header().Set("Location", loc)
		w.WriteHeader(status)
		return
	}
	if status >= 400 {
		s.rateHeaders(w, true)
		w.WriteHeader(status)
		w.Write(body)
		return
	}
	sum := sha256.Sum256(body)
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, max-age=60, s-maxage=60")
	if link != "" {
		w.Header().Set("Link", link)
	}
	if inm := req.Header.Get("If-None-Match"); inm != "" && inm == etag {
		// A conditional hit does not count against the primary limit.
		s.rateHeaders(w, false)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.rateHeaders(w, true)
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) authorised(req *http.Request) bool {
	h := req.Header.Get("Authorization")
	tok := strings.TrimPrefix(strings.TrimPrefix(h, "Bearer "), "token ")
	return tok != "" && (tok == s.Token || (s.PrivateToken != "" && tok == s.PrivateToken))
}

func (s *Server) rateHeaders(w http.ResponseWriter, count bool) {
	if s.Enterprise {
		return
	}
	s.logMu.Lock()
	if count && s.remaining > 0 {
		s.remaining--
	}
	rem := s.remaining
	s.logMu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(rem))
	h.Set("X-RateLimit-Used", strconv.Itoa(s.limit-rem))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.wallNow().Add(time.Hour).Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func (s *Server) throttled(w http.ResponseWriter) bool {
	s.logMu.Lock()
	if len(s.throttle) == 0 {
		s.logMu.Unlock()
		return false
	}
	mode := s.throttle[0]
	s.throttle = s.throttle[1:]
	s.logMu.Unlock()
	h := w.Header()
	doc := "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	msg := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
	status := http.StatusForbidden
	switch mode {
	case Secondary429:
		status = http.StatusTooManyRequests
		h.Set("Retry-After", strconv.Itoa(s.RetryAfter))
	case Secondary403:
		h.Set("Retry-After", strconv.Itoa(s.RetryAfter))
	case SecondaryNoHeader:
		doc = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
		doc = strings.TrimSuffix(doc, "#about-secondary-rate-limits") + "/secondary-rate-limits"
	case Primary403, Primary429:
		if mode == Primary429 {
			status = http.StatusTooManyRequests
		}
		msg = "API rate limit exceeded for user ID 1."
		doc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Used", strconv.Itoa(s.limit))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(s.wallNow().Add(time.Duration(s.Reset)*time.Second).Unix(), 10))
		h.Set("X-RateLimit-Resource", "core")
	}
	s.errorJSON(w, status, msg, doc)
	return true
}

func (s *Server) errorJSON(w http.ResponseWriter, status int, msg, doc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg, "documentation_url": doc, "status": strconv.Itoa(status)})
	w.Write(b)
}

func errBody(status int, msg string) (int, []byte, string, string) {
	b, _ := json.Marshal(map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
	return status, b, "", ""
}

// ok encodes an answer like GitHub: compact, with <, > and & unescaped.
func ok(v any, link string) (int, []byte, string, string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return http.StatusOK, bytes.TrimSuffix(b.Bytes(), []byte("\n")), link, ""
}

// paginate slices n elements by page/per_page and builds GitHub's Link header.
func paginate(u urls, path string, q url.Values, n int) (lo, hi int, link string) {
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	last := max((n+per-1)/per, 1)
	lo, hi = min((page-1)*per, n), min(page*per, n)
	mk := func(p int, rel string) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, u.api, path, q2.Encode(), rel)
	}
	var parts []string
	if page > 1 {
		parts = append(parts, mk(page-1, "prev"))
	}
	if page < last {
		parts = append(parts, mk(page+1, "next"), mk(last, "last"))
	}
	if page > 1 {
		parts = append(parts, mk(1, "first"))
	}
	return lo, hi, strings.Join(parts, ", ")
}

// cursorPage pages with opaque before/after cursors, as the Projects (v2) REST API does.
func cursorPage(u urls, path string, q url.Values, n int) (lo, hi int, link string) {
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 || per > 100 {
		per = 30
	}
	if a := q.Get("after"); a != "" {
		b, _ := base64.RawURLEncoding.DecodeString(a)
		lo, _ = strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
	}
	lo = min(lo, n)
	hi = min(lo+per, n)
	if hi < n {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("after", base64.RawURLEncoding.EncodeToString([]byte("o:"+strconv.Itoa(hi))))
		link = fmt.Sprintf(`<%s%s?%s>; rel="next"`, u.api, path, q2.Encode())
	}
	return lo, hi, link
}
