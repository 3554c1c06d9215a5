package jirafake

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type pageToken struct {
	jql     string
	offset  int
	expires time.Time
}

// bufWriter collects an answer under the lock; it is encoded and written after the
// lock is released, so concurrent clients are not serialised on JSON encoding.
type bufWriter struct {
	h      http.Header
	status int
	buf    bytes.Buffer
	val    any // a JSON value still to encode
	hasVal bool
}

func (w *bufWriter) Header() http.Header         { return w.h }
func (w *bufWriter) WriteHeader(code int)        { w.status = code }
func (w *bufWriter) Write(b []byte) (int, error) { return w.buf.Write(b) }

// ServeHTTP routes a request like a Jira site would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bw := &bufWriter{h: http.Header{}, status: http.StatusOK}
	s.mu.Lock()
	s.lastJQL = ""
	s.serve(bw, r)
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, JQL: s.lastJQL, Status: bw.status})
	s.mu.Unlock()
	if bw.hasVal {
		bw.buf.Write(append(appendJSON(make([]byte, 0, 64<<10), bw.val), '\n'))
	}
	for k, v := range bw.h {
		w.Header()[k] = v
	}
	w.WriteHeader(bw.status)
	_, _ = w.Write(bw.buf.Bytes())
}

func (s *Server) serve(sw http.ResponseWriter, r *http.Request) {
	if s.throttle > 0 {
		s.throttle--
		sw.Header().Set("Retry-After", strconv.Itoa(s.retryAfter))
		sw.Header().Set("X-RateLimit-Reset", s.Now().UTC().Add(time.Duration(s.retryAfter)*time.Second).Format(time.RFC3339))
		sw.Header().Set("RateLimit-Reason", "jira-burst-based")
		if s.throttle503 {
			writeErr(sw, http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		sw.Header().Set("X-RateLimit-Limit", "100")
		sw.Header().Set("X-RateLimit-Remaining", "0")
		writeErr(sw, http.StatusTooManyRequests, "Rate limit exceeded.")
		return
	}
	if s.fault != NoFault && s.faultN != 0 {
		s.faultN--
		switch s.fault {
		case FaultHTML:
			sw.Header().Set("Content-Type", "text/html;charset=UTF-8")
			sw.WriteHeader(http.StatusOK)
			fmt.Fprint(sw, "<!DOCTYPE html><html><head><title>Log in with Atlassian account</title></head><body>Log in to continue</body></html>")
			return
		case FaultTruncate:
			sw.Header().Set("Content-Type", "application/json;charset=UTF-8")
			sw.WriteHeader(http.StatusOK)
			fmt.Fprint(sw, `{"isLast":false,"issues":[{"id":"10001","key":"ALP`)
			return
		}
	}
	if !s.authorised(r) {
		sw.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		writeErr(sw, http.StatusUnauthorized, "Client must be authenticated to access this resource.")
		return
	}
	s.route(sw, r)
}

func (s *Server) authorised(r *http.Request) bool {
	if s.Deployment == Cloud {
		u, p, ok := r.BasicAuth()
		return ok && u == s.Email && p == s.Token
	}
	return r.Header.Get("Authorization") == "Bearer "+s.Token
}

var (
	reIssueChangelog = regexp.MustCompile(`^/rest/api/([23])/issue/([^/]+)/changelog$`)
	reIssue          = regexp.MustCompile(`^/rest/api/([23])/issue/([^/]+)$`)
	reBoardSprints   = regexp.MustCompile(`^/rest/agile/1\.0/board/(\d+)/sprint$`)
	reAPI            = regexp.MustCompile(`^/rest/api/([23])/(.+)$`)
)

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if m := reIssueChangelog.FindStringSubmatch(p); m != nil && s.Deployment == Cloud {
		s.handleChangelog(w, r, atoi(m[1]), m[2])
		return
	}
	if m := reIssue.FindStringSubmatch(p); m != nil {
		s.handleIssue(w, r, atoi(m[1]), m[2])
		return
	}
	if m := reBoardSprints.FindStringSubmatch(p); m != nil {
		s.handleSprints(w, r, atoi(m[1]))
		return
	}
	if p == "/rest/agile/1.0/board" {
		s.handleBoards(w, r)
		return
	}
	m := reAPI.FindStringSubmatch(p)
	if m == nil {
		writeErr(w, http.StatusNotFound, "null for uri: "+p)
		return
	}
	v, rest := atoi(m[1]), m[2]
	switch {
	case rest == "serverInfo":
		writeJSON(w, obj{"baseUrl": s.HTTP.URL, "version": map[Deployment]string{Cloud: "1001.0.0-SNAPSHOT", DataCenter: "9.12.2"}[s.Deployment],
			"deploymentType": string(s.Deployment), "serverTitle": "Jira"})
	case rest == "myself":
		writeJSON(w, s.renderUser(s.Me, v))
	case rest == "field":
		writeJSON(w, s.fieldMeta())
	case rest == "status":
		var out []any
		for _, st := range s.statuses {
			out = append(out, s.renderStatus(st.ID, v))
		}
		writeJSON(w, out)
	case rest == "project/search" && s.Deployment == Cloud:
		s.handleProjectSearch(w, r, v)
	case rest == "project" && s.Deployment != Cloud:
		var out []any
		for _, p := range s.sortedProjects() {
			out = append(out, s.renderProject(p, v))
		}
		writeJSON(w, out)
	case rest == "search" && s.Deployment == Cloud:
		writeErr(w, http.StatusGone, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
	case rest == "search":
		s.handleSearchDC(w, r, v)
	case rest == "changelog/bulkfetch" && s.Deployment == Cloud && r.Method == http.MethodPost:
		s.handleBulkChangelog(w, r, v)
	case rest == "search/jql" && s.Deployment == Cloud:
		s.handleSearchJQL(w, r, v)
	case rest == "search/approximate-count" && s.Deployment == Cloud && r.Method == http.MethodPost:
		var body struct{ JQL string }
		err := json.NewDecoder(r.Body).Decode(&body)
		s.lastJQL = body.JQL
		if err != nil {
			writeErr(w, http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
			return
		}
		res, err := s.run(body.JQL)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, obj{"count": len(res)})
	default:
		writeErr(w, http.StatusNotFound, "null for uri: "+p)
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	if bw, ok := w.(*bufWriter); ok {
		bw.val, bw.hasVal = v, true
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeErr answers in Jira's error shape.
func writeErr(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(obj{"errorMessages": []string{msg}, "errors": obj{}})
}

func intParam(r *http.Request, name string, def, max int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 0 {
		n = def
	}
	if max > 0 && n > max {
		n = max
	}
	return n
}

// searchParams reads a search request from the query (GET) or the JSON body (POST).
type searchParams struct {
	JQL           string   `json:"jql"`
	NextPageToken string   `json:"nextPageToken"`
	MaxResults    *int     `json:"maxResults"`
	StartAt       int      `json:"startAt"`
	Fields        []string `json:"fields"`
	Expand        string   `json:"expand"`
}

func (s *Server) readSearch(r *http.Request) (p searchParams, err error) {
	defer func() { s.lastJQL = p.JQL }()
	if r.Method == http.MethodPost {
		err = json.NewDecoder(r.Body).Decode(&p)
		return p, err
	}
	q := r.URL.Query()
	p.JQL, p.NextPageToken, p.Expand = q.Get("jql"), q.Get("nextPageToken"), q.Get("expand")
	p.Fields = q["fields"]
	p.StartAt = intParam(r, "startAt", 0, 0)
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, err
		}
		p.MaxResults = &n
	}
	return p, nil
}

func (s *Server) handleSearchJQL(w http.ResponseWriter, r *http.Request, v int) {
	p, err := s.readSearch(r)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
		return
	}
	fs := parseFields(p.Fields, "id")
	limit := 100 // Jira lowers the cap when fields are requested
	if fs.idOnly() && p.Expand == "" {
		limit = 5000
	}
	n := 50
	if p.MaxResults != nil {
		n = *p.MaxResults
	}
	n = min(max(n, 1), limit)
	offset := 0
	if p.NextPageToken != "" {
		tok, ok := s.tokens[p.NextPageToken]
		if !ok || tok.jql != p.JQL || s.Now().After(tok.expires) {
			writeErr(w, http.StatusBadRequest, "The provided next page token is invalid or expired.")
			return
		}
		offset = tok.offset
	}
	res, err := s.run(p.JQL)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	end := min(offset+n, len(res))
	changelog := strings.Contains(p.Expand, "changelog")
	issues := make([]any, 0, end-offset)
	for _, is := range res[min(offset, end):end] {
		issues = append(issues, s.renderIssue(is, v, fs, changelog, s.EmbedLimit))
	}
	out := obj{"issues": issues, "isLast": end >= len(res)}
	if end < len(res) {
		s.tokenSeq++
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d|%s|%d", s.tokenSeq, p.JQL, end)))
		tok := base64.RawURLEncoding.EncodeToString(sum[:18])
		s.tokens[tok] = pageToken{jql: p.JQL, offset: end, expires: s.Now().Add(7 * 24 * time.Hour)}
		out["nextPageToken"] = tok
	}
	writeJSON(w, out)
}

func (s *Server) handleSearchDC(w http.ResponseWriter, r *http.Request, v int) {
	p, err := s.readSearch(r)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "Invalid request payload.")
		return
	}
	fs := parseFields(p.Fields, "*navigable")
	n := 50
	if p.MaxResults != nil {
		n = *p.MaxResults
	}
	n = min(max(n, 0), 1000) // jira.search.views.default.max
	res, err := s.run(p.JQL)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	start := min(p.StartAt, len(res))
	end := min(start+n, len(res))
	changelog := strings.Contains(p.Expand, "changelog")
	issues := make([]any, 0, end-start)
	for _, is := range res[start:end] {
		issues = append(issues, s.renderIssue(is, v, fs, changelog, 0)) // DC embeds it all
	}
	writeJSON(w, obj{"expand": "schema,names", "startAt": start, "maxResults": n, "total": len(res), "issues": issues})
}

func (s *Server) lookupIssue(idOrKey string) *Issue {
	if id, err := strconv.Atoi(idOrKey); err == nil {
		return s.issues[id]
	}
	return s.byKey[idOrKey]
}

func (s *Server) handleIssue(w http.ResponseWriter, r *http.Request, v int, idOrKey string) {
	is := s.lookupIssue(idOrKey)
	if is == nil {
		writeErr(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
		return
	}
	q := r.URL.Query()
	writeJSON(w, s.renderIssue(is, v, parseFields(q["fields"], "*all"), strings.Contains(q.Get("expand"), "changelog"), 0))
}

func (s *Server) handleChangelog(w http.ResponseWriter, r *http.Request, v int, idOrKey string) {
	is := s.lookupIssue(idOrKey)
	if is == nil {
		writeErr(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
		return
	}
	start := intParam(r, "startAt", 0, 0)
	n := max(intParam(r, "maxResults", 100, 100), 1)
	start = min(start, len(is.Changelog))
	end := min(start+n, len(is.Changelog))
	vals := make([]any, 0, end-start)
	for _, h := range is.Changelog[start:end] {
		vals = append(vals, s.renderHistory(h, v, false))
	}
	self := fmt.Sprintf("%s/issue/%s/changelog?startAt=%d&maxResults=%d", s.api(v), idOrKey, start, n)
	out := obj{"self": self, "maxResults": n, "startAt": start, "total": len(is.Changelog), "isLast": end >= len(is.Changelog), "values": vals}
	if end < len(is.Changelog) {
		out["nextPage"] = fmt.Sprintf("%s/issue/%s/changelog?&startAt=%d&maxResults=%d", s.api(v), idOrKey, end, n)
	}
	writeJSON(w, out)
}
