package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

type itemsCursor struct {
	Repos     map[string]*repoItems `json:"repos"`
	LastSweep time.Time             `json:"last_sweep,omitzero"`
	// Board is, by item key (owner/name#n), the board data the item was last emitted with.
	Board map[string]boardMark `json:"board,omitempty"`
}

// repoItems is one repository's position. ETag belongs to the first page of
// issues?since=Since, so an unchanged repository answers 304.
type repoItems struct {
	Since string `json:"since,omitempty"`
	ETag  string `json:"etag,omitempty"`
	// Links are the open pull requests closing issues here, by pull request number.
	Links map[int]linkPR `json:"links,omitempty"`
	// Pending are issues (number → id, "" unknown) to emit again with their linked pull
	// requests; kept until done, so a crash in between loses nothing.
	Pending map[int]string `json:"pending,omitempty"`
}

// repoListing collects what one repository's listing saw, for the deletion sweep.
type repoListing struct {
	seen map[string]bool
}

func (r *run) syncItems(ctx context.Context, raw json.RawMessage) error {
	cur := itemsCursor{}
	r.loadCursor(raw, &cur)
	if cur.Repos == nil {
		cur.Repos = map[string]*repoItems{}
	}
	repos, err := r.repositories(ctx)
	if err != nil {
		return err
	}
	sweep := cur.LastSweep.IsZero() || r.now().Sub(cur.LastSweep) >= r.c.cfg.DeletionSweep
	stored, err := r.storedIDs(ctx, StreamItems)
	if err != nil {
		return err
	}
	if r.boards, err = r.loadBoards(ctx); err != nil {
		return err
	}
	r.boardEmitted = map[string]string{}
	listings := map[string]*repoListing{}
	errs := r.forEachRepo(ctx, repos, func(ctx context.Context, repo string) error {
		r.mu.Lock()
		var rc repoItems
		if p := cur.Repos[repo]; p != nil {
			rc = *p
		}
		r.mu.Unlock()
		var l *repoListing
		if sweep {
			l = &repoListing{seen: map[string]bool{}}
		}
		if err := r.syncRepoItems(ctx, repo, &rc, l, stored); err != nil {
			return err
		}
		return r.emitState(ctx, func() any {
			cur.Repos[repo] = &rc
			if l != nil {
				listings[repo] = l
			}
			return cur
		})
	})
	if sweep && len(errs) == 0 {
		if err := r.sweepItems(ctx, listings, stored); err != nil {
			return err
		}
		cur.LastSweep = r.now().UTC()
		if err := r.emit(ctx, connectors.Page{Cursor: mustJSON(cur)}); err != nil {
			return err
		}
	}
	if ctx.Err() == nil {
		if err := r.reemit(ctx, &cur, repos); err != nil {
			errs = append(errs, err)
		}
	}
	return joinErrs(errs)
}

// syncRepoItems brings one repository's issues and pull requests up to date and moves rc;
// the caller saves rc with the cursor.
func (r *run) syncRepoItems(ctx context.Context, repo string, rc *repoItems, l *repoListing, stored map[string]uint64) error {
	since := rc.Since
	etag := rc.ETag
	if l != nil {
		since, etag = "", "" // a sweep lists everything
	}
	var sinceT time.Time
	if since != "" {
		sinceT, _ = time.Parse(time.RFC3339, since)
	}
	u := issuesURL(repo, since, r.c.cfg.PageSize)
	maxUpdated := sinceT
	links := newRepoLinks(repo, rc.Links)
	prIssues := map[int]heldIssue{}
	var firstETag string
	pages := 0
	for u != "" {
		p, err := r.cl.get(ctx, u, etag)
		if err != nil {
			return err
		}
		if p.NotModified {
			return nil
		}
		if pages++; pages == 1 {
			firstETag = p.ETag
		}
		etag = ""
		items, err := decodeList(p, "GET /"+repoPath(repo)+"/issues", r.c.src.Name)
		if err != nil {
			return err
		}
		var recs []connectors.Record
		for _, it := range items {
			var is ghIssue
			if err := decodeItem(it, &is); err != nil || is.ID == 0 {
				return notJSON(p, "", r.c.src.Name, fmt.Errorf("issue without id in %s: %v", repo, err))
			}
			if is.UpdatedAt.After(maxUpdated) {
				maxUpdated = is.UpdatedAt
			}
			if l != nil {
				l.seen[strconv.FormatInt(is.ID, 10)] = true
			}
			if is.PullRequest != nil {
				prIssues[is.Number] = heldIssue{raw: it, parsed: is}
				links.pull(&is)
				continue
			}
			linked, at := links.linked(is.Number)
			rec := r.issueRecord(repo, it, &is, linked, at)
			if r.newer(stored, rec) {
				recs = append(recs, rec)
				r.noteEmitted(repo, is.Number, rec.NativeID)
				links.saw(&is, linked, &rec, is.State == "open" && r.keep(len(rec.Payload)))
			} else {
				links.saw(&is, linked, nil, false)
			}
		}
		if len(recs) > 0 {
			if err := r.emit(ctx, connectors.Page{Records: recs}); err != nil {
				return err
			}
		}
		u = p.Next
	}
	if len(prIssues) > 0 {
		if err := r.syncPulls(ctx, repo, sinceT, prIssues, stored); err != nil {
			return err
		}
	}
	rc.Links, rc.Pending = links.finish(l != nil, rc.Pending)
	if len(rc.Links) == 0 {
		rc.Links = nil
	}
	if err := r.relink(ctx, repo, rc, links); err != nil {
		return err
	}
	rc.ETag = ""
	switch {
	case maxUpdated.After(sinceT):
		rc.Since = maxUpdated.UTC().Format(time.RFC3339)
		if err := r.primeETag(ctx, repo, rc, maxUpdated); err != nil {
			return err
		}
	case since == rc.Since && pages == 1:
		// Nothing newer (or an empty repository): the same query next time, same ETag.
		rc.ETag = firstETag
	}
	return nil
}

// relink emits again the open issues emitted in this run before a pull request closing
// them was listed, from the payloads kept; the others wait in rc.Pending for reemit.
func (r *run) relink(ctx context.Context, repo string, rc *repoItems, links *repoLinks) error {
	var recs []connectors.Record
	for _, n := range slices.Sorted(maps.Keys(rc.Pending)) {
		s := links.seen[n]
		if s.raw == nil {
			continue // over the budget: reemit reads it back from the raw layer
		}
		if rec, ok := r.rederive(connectors.StoredRecord{NativeID: s.id, Version: s.version, Payload: s.raw},
			map[string]*repoLinks{strings.ToLower(repo): links}); ok {
			recs = append(recs, rec)
		}
		delete(rc.Pending, n)
	}
	if len(rc.Pending) == 0 {
		rc.Pending = nil
	}
	if len(recs) == 0 {
		return nil
	}
	return r.emit(ctx, connectors.Page{Records: recs})
}

// keep reserves n bytes of the run's budget for payloads kept to emit again.
func (r *run) keep(n int) bool {
	return r.kept.Add(int64(n)) <= keptBudget
}

// keptBudget bounds the payloads kept per run (beyond it, issues are read back from the
// raw layer, or wait for the next run); a variable for the tests.
var keptBudget int64 = 64 << 20

// primeETag asks once more for issues?since=<newest seen>: the answer is the boundary
// items we already have, and its ETag makes the next unchanged sync a single 304.
func (r *run) primeETag(ctx context.Context, repo string, rc *repoItems, newest time.Time) error {
	p, err := r.cl.get(ctx, issuesURL(repo, rc.Since, r.c.cfg.PageSize), "")
	if err != nil {
		return err
	}
	items, err := decodeList(p, "GET /"+repoPath(repo)+"/issues", r.c.src.Name)
	if err != nil {
		return err
	}
	for _, it := range items {
		var is ghIssue
		if decodeItem(it, &is) == nil && is.UpdatedAt.After(newest) {
			return nil // changed meanwhile: the next sync lists from rc.Since
		}
	}
	if p.Next == "" {
		rc.ETag = p.ETag
	}
	return nil
}

func issuesURL(repo, since string, perPage int) string {
	q := url.Values{}
	q.Set("state", "all")
	q.Set("sort", "updated")
	q.Set("direction", "asc")
	q.Set("per_page", strconv.Itoa(perPage))
	if since != "" {
		q.Set("since", since)
	}
	return repoPath(repo) + "/issues?" + q.Encode()
}

// issueRecord wraps an issue with what is derived from it, the open pull requests
// closing it (linked, the newest one's version at) and its board place. Its version is
// the newest of the three, so a change of any re-maps the work item.
func (r *run) issueRecord(repo string, raw json.RawMessage, is *ghIssue, linked []int, at uint64) connectors.Record {
	open := is.State == "open"
	if !open {
		linked, at = nil, 0
	}
	env := envelope{Kind: "issue", Repository: repo, Issue: raw, Derived: derived{
		State: issueState(is, len(linked) > 0), Type: r.c.typeFromLabels(is),
		JiraKeys:    r.c.findJiraKeys([2]string{"title", is.Title}, [2]string{"body", is.Body}),
		LinkedPulls: linked,
	}}
	if moved := repoFromURL(is.RepoURL); moved != "" {
		env.Repository = moved
	}
	env.Derived.Key = fmt.Sprintf("%s#%d", env.Repository, is.Number)
	id := strconv.FormatInt(is.ID, 10)
	v := max(micros(is.UpdatedAt), at, r.place(&env, is.Number, open))
	return connectors.Record{Stream: StreamItems, NativeID: id,
		Version: v, ChangedAt: is.UpdatedAt, Payload: env.encode()}
}

// syncPulls reads pull request details for the pull requests the issue listing showed
// as changed: the pulls list sorted by update, newest first, down to the cursor.
// heldIssue is a pull request's issue entry waiting for its pull request details.
type heldIssue struct {
	raw    json.RawMessage
	parsed ghIssue
}

func (r *run) syncPulls(ctx context.Context, repo string, since time.Time, prIssues map[int]heldIssue, stored map[string]uint64) error {
	q := url.Values{}
	q.Set("state", "all")
	q.Set("sort", "updated")
	q.Set("direction", "desc")
	q.Set("per_page", strconv.Itoa(r.c.cfg.PageSize))
	u := repoPath(repo) + "/pulls?" + q.Encode()
	// Reading a whole list for a handful of changes costs more than fetching them one by one.
	if !since.IsZero() && len(prIssues) <= 2 {
		u = ""
	}
	for u != "" && len(prIssues) > 0 {
		p, err := r.cl.get(ctx, u, "")
		if err != nil {
			return err
		}
		items, err := decodeList(p, "GET /"+repoPath(repo)+"/pulls", r.c.src.Name)
		if err != nil {
			return err
		}
		var recs []connectors.Record
		done := false
		for _, it := range items {
			var pr ghIssue
			if err := decodeItem(it, &pr); err != nil || pr.Number == 0 {
				return notJSON(p, "", r.c.src.Name, fmt.Errorf("pull request without number in %s: %v", repo, err))
			}
			if !since.IsZero() && pr.UpdatedAt.Before(since) {
				done = true
				break
			}
			iss, ok := prIssues[pr.Number]
			if !ok {
				continue // changed after the issue listing; the next sync takes it
			}
			delete(prIssues, pr.Number)
			rec, err := r.pullRecord(repo, iss, it, &pr)
			if err != nil {
				return err
			}
			if r.newer(stored, rec) {
				recs = append(recs, rec)
				r.noteEmitted(repo, pr.Number, rec.NativeID)
			}
		}
		if len(recs) > 0 {
			if err := r.emit(ctx, connectors.Page{Records: recs}); err != nil {
				return err
			}
		}
		if done {
			break
		}
		u = p.Next
	}
	// Whatever the list did not cover is fetched one by one.
	var recs []connectors.Record
	for n, iss := range prIssues {
		p, err := r.cl.get(ctx, fmt.Sprintf("%s/pulls/%d", repoPath(repo), n), "")
		if err != nil {
			return err
		}
		var pr ghIssue
		if err := decodeItem(p.Body, &pr); err != nil {
			return notJSON(p, "", r.c.src.Name, err)
		}
		rec, err := r.pullRecord(repo, iss, p.Body, &pr)
		if err != nil {
			return err
		}
		if r.newer(stored, rec) {
			recs = append(recs, rec)
			r.noteEmitted(repo, n, rec.NativeID)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	return r.emit(ctx, connectors.Page{Records: recs})
}

// pullRecord joins a pull request's issue entry (its id is the item's id, shared with
// the issue events) with its pull request details.
func (r *run) pullRecord(repo string, iss heldIssue, pullRaw json.RawMessage, pr *ghIssue) (connectors.Record, error) {
	is, issRaw := iss.parsed, iss.raw
	updated := is.UpdatedAt
	if pr.UpdatedAt.After(updated) {
		updated = pr.UpdatedAt
	}
	env := envelope{Kind: "pull_request", Repository: repo, Issue: issRaw, Pull: pullRaw, Derived: derived{
		Key: fmt.Sprintf("%s#%d", repo, pr.Number), State: pullState(pr), Type: "pull_request",
		JiraKeys: r.c.findJiraKeys([2]string{"title", pr.Title}, [2]string{"branch", pr.Head.Ref}, [2]string{"body", pr.Body}),
	}}
	v := max(micros(updated), r.place(&env, pr.Number, pr.State == "open"))
	return connectors.Record{Stream: StreamItems, NativeID: strconv.FormatInt(is.ID, 10),
		Version: v, ChangedAt: updated, Payload: env.encode()}, nil
}

func milestoneID(id int64) string { return "milestone-" + strconv.FormatInt(id, 10) }

// sweepItems finds stored issues their repository no longer lists and asks GitHub about
// each: 410 (deleted) and 404 become tombstones; a transferred issue answers from its new
// repository (a redirect) and is stored there.
func (r *run) sweepItems(ctx context.Context, listings map[string]*repoListing, stored map[string]uint64) error {
	if len(stored) == 0 || r.req.Env.Stored == nil {
		return nil
	}
	type missing struct {
		repo   string
		number int
	}
	var lost = map[string]missing{}
	err := r.req.Env.Stored.Records(ctx, StreamItems, nil, func(s connectors.StoredRecord) error {
		var e struct {
			Kind       string `json:"kind"`
			Repository string `json:"repository"`
			Issue      struct {
				Number int `json:"number"`
			} `json:"issue"`
		}
		if json.Unmarshal(s.Payload, &e) != nil || e.Kind == "milestone" {
			return nil
		}
		l, ok := listings[e.Repository]
		if ok && !l.seen[s.NativeID] {
			lost[s.NativeID] = missing{e.Repository, e.Issue.Number}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("source %s: read stored items: %w", r.c.src.Name, err)
	}
	var recs []connectors.Record
	for id, m := range lost {
		p, err := r.cl.get(ctx, fmt.Sprintf("%s/issues/%d", repoPath(m.repo), m.number), "")
		var se *connectors.SourceError
		switch {
		case errors.As(err, &se) && (se.Status == http.StatusGone || se.Status == http.StatusNotFound):
			r.cl.log.Info("issue gone", "repo", m.repo, "number", m.number, "status", se.Status)
			recs = append(recs, r.tombstone(StreamItems, id, stored[id]))
			continue
		case err != nil:
			return err
		}
		var is ghIssue
		if err := decodeItem(p.Body, &is); err != nil || is.ID == 0 {
			return fmt.Errorf("source %s: issue %s#%d: unreadable answer: %v", r.c.src.Name, m.repo, m.number, err)
		}
		r.cl.log.Info("issue moved", "from", m.repo, "to", repoFromURL(is.RepoURL), "number", is.Number)
		if strconv.FormatInt(is.ID, 10) != id {
			recs = append(recs, r.tombstone(StreamItems, id, stored[id]))
		}
		if is.PullRequest == nil {
			recs = append(recs, r.issueRecord(repoFromURL(is.RepoURL), p.Body, &is, nil, 0))
		}
	}
	if len(recs) == 0 {
		return nil
	}
	return r.emit(ctx, connectors.Page{Records: recs})
}
