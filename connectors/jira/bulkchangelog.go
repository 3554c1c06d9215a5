package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

// Cloud's bulk changelog endpoint reads the histories of up to 1000 issues per request,
// where the per-issue endpoint needs one request (or more) per truncated issue.
const (
	bulkPath       = "/rest/api/3/changelog/bulkfetch"
	bulkIssues     = 1000
	bulkMaxResults = 10000
	// holdIssues is how many truncated issues a sync holds before reading their histories:
	// half a bulk request's worth costs about 1% more requests than a full one and bounds
	// the issues and histories held in memory.
	holdIssues = bulkIssues / 2
)

// bulkChangelogs returns the complete histories of the given issues by id. Issues Jira
// does not return (deleted or hidden since the search) are absent from the map. A
// SourceError with status 404 or 405 means the site lacks the endpoint.
func (s *session) bulkChangelogs(ctx context.Context, ids []string) (map[string][]json.RawMessage, error) {
	out := make(map[string][]json.RawMessage, len(ids))
	for start := 0; start < len(ids); start += bulkIssues {
		chunk := ids[start:min(start+bulkIssues, len(ids))]
		token := ""
		for {
			body := map[string]any{"issueIdsOrKeys": chunk, "maxResults": bulkMaxResults}
			if token != "" {
				body["nextPageToken"] = token
			}
			data, err := s.call(ctx, "POST", bulkPath, nil, body)
			if err != nil {
				return nil, err
			}
			// Split with the connector's scanner, like search pages: the histories stay
			// raw, and decoding them through encoding/json cost more than the request.
			res, err := splitBulk(data)
			if err != nil {
				return nil, s.fail("POST "+s.c.base.Path+bulkPath, http.StatusOK, "the response is not valid JSON (truncated?)", "network or proxy trouble; run the sync again", err)
			}
			for _, l := range res.logs {
				for _, h := range l.histories {
					h, err := jiraCreated(h)
					if err != nil {
						return nil, s.fail("POST "+s.c.base.Path+bulkPath, http.StatusOK, "a history could not be read: "+err.Error(), "", err)
					}
					out[l.issueID] = append(out[l.issueID], h)
				}
			}
			if res.next == "" || res.next == token {
				break
			}
			token = res.next
		}
	}
	return out, nil
}

type bulkPage struct {
	logs []struct {
		issueID   string
		histories []json.RawMessage
	}
	next string
}

// splitBulk reads {issueChangeLogs:[{issueId, changeHistories:[…]}], nextPageToken}.
func splitBulk(data []byte) (bulkPage, error) {
	var p bulkPage
	top, err := splitObject(data)
	if err != nil {
		return p, err
	}
	if t := find(top, "nextPageToken"); !isNull(t) {
		if err := json.Unmarshal(t, &p.next); err != nil {
			return p, err
		}
	}
	logs := find(top, "issueChangeLogs")
	if isNull(logs) {
		return p, nil
	}
	els, err := splitArray(logs)
	if err != nil {
		return p, err
	}
	p.logs = make([]struct {
		issueID   string
		histories []json.RawMessage
	}, len(els))
	for i, e := range els {
		ms, err := splitObject(e)
		if err != nil {
			return p, err
		}
		if err := json.Unmarshal(find(ms, "issueId"), &p.logs[i].issueID); err != nil {
			return p, fmt.Errorf("issueId: %w", err)
		}
		if hs := find(ms, "changeHistories"); !isNull(hs) {
			raw, err := splitArray(hs)
			if err != nil {
				return p, err
			}
			p.logs[i].histories = make([]json.RawMessage, len(raw))
			for j, h := range raw {
				p.logs[i].histories[j] = h
			}
		}
	}
	return p, nil
}

// jiraCreated rewrites a history's created time into the format the other endpoints
// use: the bulk endpoint answers epoch seconds (or milliseconds) where they answer
// 2006-01-02T15:04:05.000-0700, and the mapping and doneAt read the latter.
func jiraCreated(h json.RawMessage) (json.RawMessage, error) {
	ms, err := splitObject(h)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if ms[i].key != "created" || len(ms[i].val) == 0 || ms[i].val[0] == '"' || isNull(ms[i].val) {
			continue
		}
		n, err := strconv.ParseInt(string(ms[i].val), 10, 64)
		if err != nil {
			return nil, err
		}
		t := time.Unix(n, 0)
		if n > 1e11 { // milliseconds
			t = time.UnixMilli(n)
		}
		ms[i].val = strconv.AppendQuote(nil, t.UTC().Format("2006-01-02T15:04:05.000-0700"))
		return joinObject(ms), nil
	}
	return h, nil
}

// bulkUnsupported reports whether the site lacks the bulk endpoint (older or
// restricted sites), decided by status code.
func bulkUnsupported(err error) bool {
	var se *connectors.SourceError
	return errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed || se.Status == http.StatusGone)
}
