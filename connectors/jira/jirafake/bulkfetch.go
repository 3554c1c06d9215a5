package jirafake

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// handleBulkChangelog serves POST /rest/api/3/changelog/bulkfetch: the histories of up to
// 1000 issues, maxResults histories a page, paged by an opaque token. Issues that do not
// exist are simply absent. As in Atlassian's example answer, created is epoch seconds.
func (s *Server) handleBulkChangelog(w http.ResponseWriter, r *http.Request, v int) {
	var body struct {
		IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
		FieldIDs       []string `json:"fieldIds"`
		MaxResults     *int     `json:"maxResults"`
		NextPageToken  string   `json:"nextPageToken"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.IssueIDsOrKeys) == 0 {
		writeErr(w, http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
		return
	}
	if len(body.IssueIDsOrKeys) > 1000 || len(body.FieldIDs) > 10 {
		writeErr(w, http.StatusBadRequest, "Too many issues or fields requested.")
		return
	}
	n := 1000
	if body.MaxResults != nil {
		n = min(max(*body.MaxResults, 1), 10000)
	}
	query := fmt.Sprint("bulkfetch|", body.IssueIDsOrKeys, body.FieldIDs)
	offset := 0
	if body.NextPageToken != "" {
		tok, ok := s.tokens[body.NextPageToken]
		if !ok || tok.jql != query || s.Now().After(tok.expires) {
			writeErr(w, http.StatusBadRequest, "The provided next page token is invalid or expired.")
			return
		}
		offset = tok.offset
	}
	fields := map[string]bool{}
	for _, f := range body.FieldIDs {
		fields[f] = true
	}
	logs := []any{}
	seen, pos := map[*Issue]bool{}, 0
	for _, idOrKey := range body.IssueIDsOrKeys {
		is := s.lookupIssue(idOrKey)
		if is == nil || seen[is] {
			continue
		}
		seen[is] = true
		hs := []any{}
		for _, h := range is.Changelog {
			if len(fields) > 0 && !anyField(h, fields) {
				continue
			}
			if pos >= offset && pos < offset+n {
				hs = append(hs, s.renderHistory(h, v, true))
			}
			pos++
		}
		if len(hs) > 0 {
			logs = append(logs, obj{"issueId": fmt.Sprint(is.ID), "changeHistories": hs})
		}
	}
	out := obj{"issueChangeLogs": logs}
	if pos > offset+n {
		s.tokenSeq++
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d|%s|%d", s.tokenSeq, query, offset+n)))
		tok := base64.RawURLEncoding.EncodeToString(sum[:6])
		s.tokens[tok] = pageToken{jql: query, offset: offset + n, expires: s.Now().Add(time.Hour)}
		out["nextPageToken"] = tok
	}
	writeJSON(w, out)
}

func anyField(h History, fields map[string]bool) bool {
	for _, it := range h.Items {
		if fields[it.FieldID] {
			return true
		}
	}
	return false
}
