package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/pmohub/pmohub/connectors"
)

// Page sizes: ask for the most and let Jira cap it (Cloud serves ~100 issues with fields,
// 5000 with id only; Data Center up to jira.search.views.default.max, 1000 by default).
const (
	askPage      = 5000
	askPageDC    = 1000
	changelogMax = 100
)

// searchPage is one page of a search, its issues still raw.
type searchPage struct {
	issues []json.RawMessage
	last   bool
	token  string // Cloud: the next page's token
	next   int    // Data Center: the next startAt
	err    error
}

// searchAll pages through a JQL search and hands each page of raw issues to fn, in
// order. The next page is fetched while fn works on the current one. Cloud uses the
// enhanced search with nextPageToken (no total; trust isLast), Data Center the classic
// search with startAt.
func (s *session) searchAll(ctx context.Context, deploy, jql string, fields []string, changelog bool, fn func([]json.RawMessage) error) error {
	cur := s.searchPage(ctx, deploy, jql, fields, changelog, "", 0)
	for {
		if cur.err != nil {
			return cur.err
		}
		var next chan searchPage
		if !cur.last {
			next = make(chan searchPage, 1)
			go func(c searchPage) { next <- s.searchPage(ctx, deploy, jql, fields, changelog, c.token, c.next) }(cur)
		}
		if err := fn(cur.issues); err != nil {
			if next != nil {
				<-next
			}
			return err
		}
		if next == nil {
			return nil
		}
		cur = <-next
	}
}

func (s *session) searchPage(ctx context.Context, deploy, jql string, fields []string, changelog bool, token string, start int) searchPage {
	if deploy == deployCloud {
		const path = "/rest/api/3/search/jql"
		body := map[string]any{"jql": jql, "fields": fields, "maxResults": askPage}
		if changelog {
			body["expand"] = "changelog"
		}
		if token != "" {
			body["nextPageToken"] = token
		}
		data, err := s.call(ctx, "POST", path, nil, body)
		if err != nil {
			return searchPage{err: err}
		}
		top, issues, err := splitPage(data)
		if err != nil {
			return searchPage{err: s.fail("POST "+path, http.StatusOK, "the response is not valid JSON (truncated?)", "network or proxy trouble; run the sync again", err)}
		}
		p := searchPage{issues: issues}
		_ = json.Unmarshal(find(top, "isLast"), &p.last)
		_ = json.Unmarshal(find(top, "nextPageToken"), &p.token)
		if !p.last && p.token == "" {
			p.err = s.fail("POST "+path, http.StatusOK, "the search ended without isLast or a nextPageToken", "", nil)
		}
		return p
	}
	const path = "/rest/api/2/search"
	q := url.Values{"jql": {jql}, "startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(askPageDC)},
		"fields": {strings.Join(fields, ",")}}
	if changelog {
		q.Set("expand", "changelog")
	}
	data, err := s.call(ctx, "GET", path, q, nil)
	if err != nil {
		return searchPage{err: err}
	}
	top, issues, err := splitPage(data)
	if err != nil {
		return searchPage{err: s.fail("GET "+path, http.StatusOK, "the response is not valid JSON (truncated?)", "network or proxy trouble; run the sync again", err)}
	}
	var total int
	_ = json.Unmarshal(find(top, "total"), &total)
	p := searchPage{issues: issues, next: start + len(issues)}
	p.last = len(issues) == 0 || p.next >= total
	return p
}

// splitPage splits a search answer into its members and its raw issues without
// decoding them.
func splitPage(data []byte) ([]member, []json.RawMessage, error) {
	top, err := splitObject(data)
	if err != nil {
		return nil, nil, err
	}
	raw := find(top, "issues")
	if isNull(raw) {
		return top, nil, nil
	}
	els, err := splitArray(raw)
	if err != nil {
		return nil, nil, err
	}
	issues := make([]json.RawMessage, len(els))
	for i, e := range els {
		issues[i] = e
	}
	return top, issues, nil
}

// count is the number of issues in scope: approximate-count on Cloud, total on DC.
func (s *session) count(ctx context.Context, deploy string) (int, error) {
	if deploy == deployCloud {
		var res struct {
			Count int `json:"count"`
		}
		err := s.get(ctx, "POST", "/rest/api/3/search/approximate-count", nil, map[string]string{"jql": s.c.scope}, &res)
		return res.Count, err
	}
	var res struct {
		Total int `json:"total"`
	}
	q := url.Values{"jql": {s.c.scope}, "maxResults": {"0"}, "fields": {"id"}}
	err := s.get(ctx, "GET", "/rest/api/2/search", q, nil, &res)
	return res.Total, err
}

// sweepIDs lists the ids of every issue in scope, id only. It pages by id (keyset)
// rather than by token or offset: an issue deleted while the sweep runs then cannot shift
// a live one out of the pages and get it wrongly taken for deleted.
func (s *session) sweepIDs(ctx context.Context, deploy string) (map[string]bool, error) {
	ids := map[string]bool{}
	last := 0
	for {
		jql := "(" + s.c.scope + ")"
		if last > 0 {
			jql += " AND id > " + strconv.Itoa(last)
		}
		jql += " ORDER BY id ASC"
		var page []json.RawMessage
		more := false
		if deploy == deployCloud {
			var res struct {
				Issues []json.RawMessage `json:"issues"`
				IsLast bool              `json:"isLast"`
			}
			body := map[string]any{"jql": jql, "fields": []string{"id"}, "maxResults": askPage}
			if err := s.get(ctx, "POST", "/rest/api/3/search/jql", nil, body, &res); err != nil {
				return nil, err
			}
			page, more = res.Issues, !res.IsLast
		} else {
			var res struct {
				Issues []json.RawMessage `json:"issues"`
				Total  int               `json:"total"`
			}
			q := url.Values{"jql": {jql}, "maxResults": {strconv.Itoa(askPageDC)}, "fields": {"id"}}
			if err := s.get(ctx, "GET", "/rest/api/2/search", q, nil, &res); err != nil {
				return nil, err
			}
			page, more = res.Issues, len(res.Issues) < res.Total
		}
		for _, raw := range page {
			var is struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(raw, &is) != nil || is.ID == "" {
				continue
			}
			ids[is.ID] = true
			if n, err := strconv.Atoi(is.ID); err == nil && n > last {
				last = n
			}
		}
		if !more || len(page) == 0 {
			return ids, nil
		}
	}
}

// completeChangelogs fetches the full history of every issue whose embedded changelog
// was cut short, a few issues at a time.
func (s *session) completeChangelogs(ctx context.Context, deploy string, issues []*parsedIssue) error {
	var truncated []*parsedIssue
	for _, p := range issues {
		if p.changelog.truncated() {
			truncated = append(truncated, p)
		}
	}
	if len(truncated) == 0 {
		return nil
	}
	if deploy == deployCloud && !s.noBulk.Load() {
		rest, err := s.completeBulk(ctx, truncated)
		switch {
		case bulkUnsupported(err):
			s.log.Info("jira bulk changelog endpoint unavailable, reading changelogs per issue", "err", err)
			s.noBulk.Store(true)
		case err != nil:
			return err
		default:
			truncated = rest
		}
	}
	return s.completeEach(ctx, deploy, truncated)
}

// completeBulk completes changelogs with the bulk endpoint and returns the issues it
// could not complete: absent from the answer, or with fewer histories than the search
// announced. Those go through the per-issue endpoint, which also settles a 404.
func (s *session) completeBulk(ctx context.Context, issues []*parsedIssue) ([]*parsedIssue, error) {
	ids := make([]string, len(issues))
	for i, p := range issues {
		ids[i] = p.id
	}
	got, err := s.bulkChangelogs(ctx, ids)
	if err != nil {
		return nil, err
	}
	var rest []*parsedIssue
	for _, p := range issues {
		hs, ok := got[p.id]
		if !ok || len(hs) < p.changelog.Total {
			rest = append(rest, p)
			continue
		}
		if err := p.replaceChangelog(hs); err != nil {
			return nil, err
		}
	}
	return rest, nil
}

// completeEach fetches each truncated issue's history on its own, a few at a time.
func (s *session) completeEach(ctx context.Context, deploy string, issues []*parsedIssue) error {
	sem := make(chan struct{}, s.c.cfg.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, p := range issues {
		if !p.changelog.truncated() {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(p *parsedIssue) {
			defer wg.Done()
			defer func() { <-sem }()
			hs, err := s.fullChangelog(ctx, deploy, p.id)
			if err == nil {
				err = p.replaceChangelog(hs)
			}
			var se *connectors.SourceError
			if errors.As(err, &se) && se.Status == http.StatusNotFound {
				// Deleted (or hidden) since the search: keep what was embedded; the
				// deletion sweep settles it.
				s.log.Warn("jira issue vanished while reading its changelog", "issue", p.key)
				err = nil
			}
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(p)
	}
	wg.Wait()
	return first
}

func (s *session) fullChangelog(ctx context.Context, deploy, id string) ([]json.RawMessage, error) {
	if deploy != deployCloud {
		// Data Center has no changelog paging; the issue itself carries it whole.
		var res struct {
			Changelog struct {
				Histories []json.RawMessage `json:"histories"`
			} `json:"changelog"`
		}
		q := url.Values{"fields": {"updated"}, "expand": {"changelog"}}
		err := s.get(ctx, "GET", "/rest/api/2/issue/"+url.PathEscape(id), q, nil, &res)
		return res.Changelog.Histories, err
	}
	var out []json.RawMessage
	for start := 0; ; {
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(changelogMax)}}
		var p valuesPage
		if err := s.get(ctx, "GET", "/rest/api/3/issue/"+url.PathEscape(id)+"/changelog", q, nil, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Values...)
		start += len(p.Values)
		if len(p.Values) == 0 || (p.IsLast != nil && *p.IsLast) || start >= p.Total {
			return out, nil
		}
	}
}
