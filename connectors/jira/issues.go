package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

// issuesCursor is the issues stream's state.
type issuesCursor struct {
	V          int       `json:"v"`
	Scope      string    `json:"scope"`      // the scope JQL it belongs to: a new scope reads everything
	Since      time.Time `json:"since"`      // the newest `updated` written
	Deployment string    `json:"deployment"` // cached serverInfo.deploymentType
	TimeZone   string    `json:"time_zone"`  // cached /myself timeZone, for JQL dates
	CheckedAt  time.Time `json:"checked_at"` // when deployment and time zone were read
}

// issuesRun is one sync of the issues stream.
type issuesRun struct {
	s       *session
	req     connectors.SyncRequest
	emit    connectors.Emit
	deploy  string
	ids     customIDs
	fields  []string
	cur     issuesCursor
	stored  map[string]uint64
	read    map[string]uint64 // id → version read in this run
	keyIDs  map[string]string // key → id seen in this run, for Epic Link parents
	users   userCache
	written int
	runCtx  context.Context
	// held are changed issues whose truncated histories wait for a bulk changelog read.
	held []*parsedIssue
}

func (s *session) syncIssues(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	r := &issuesRun{s: s, req: req, emit: emit, read: map[string]uint64{}, keyIDs: map[string]string{}, users: userCache{}, runCtx: ctx}
	if req.Cursor != nil && !req.Full {
		if err := json.Unmarshal(req.Cursor, &r.cur); err != nil {
			s.log.Warn("jira issues cursor unreadable, reading everything", "err", err)
			r.cur = issuesCursor{}
		}
	}
	full := req.Full || r.cur.Since.IsZero() || r.cur.Scope != s.c.scope
	now := s.now()
	fresh := !full && now.Sub(r.cur.CheckedAt) < s.c.cfg.LookupRefresh && r.cur.Deployment != "" && r.cur.TimeZone != ""
	if fresh {
		s.c.mu.Lock()
		if s.c.deploy == "" {
			s.c.deploy = r.cur.Deployment
		}
		s.c.mu.Unlock()
	}
	var err error
	if r.deploy, err = s.deployment(ctx); err != nil {
		return err
	}
	if !fresh {
		if r.cur.TimeZone, err = s.timeZone(ctx, r.deploy); err != nil {
			return err
		}
		r.cur.Deployment, r.cur.CheckedAt = r.deploy, now.UTC()
	}
	if r.ids, err = s.customFields(ctx, r.deploy); err != nil {
		return err
	}
	r.fields = s.c.issueFields(r.ids)
	if s.env.Stored != nil {
		if r.stored, err = s.env.Stored.NativeIDs(ctx, StreamIssues); err != nil {
			return fmt.Errorf("source %s: read stored issues: %w", s.c.src.Name, err)
		}
	}
	if r.stored == nil {
		r.stored = map[string]uint64{}
	}
	jql := "(" + s.c.scope + ")"
	if !full {
		jql += ` AND updated >= "` + jqlTime(r.cur.Since.Add(-s.c.cfg.Overlap), r.cur.TimeZone) + `"`
	}
	jql += " ORDER BY updated ASC, id ASC"
	r.cur.V, r.cur.Scope = 1, s.c.scope
	s.log.Info("jira issues sync", "full", full, "deployment", r.deploy, "since", r.cur.Since, "stored", len(r.stored))
	if err := s.searchAll(ctx, r.deploy, jql, r.fields, true, r.page); err != nil {
		return err
	}
	if err := r.flushHeld(); err != nil {
		return err
	}
	if err := r.reconcile(ctx, full); err != nil {
		return err
	}
	s.log.Info("jira issues synced", "read", len(r.read), "written", r.written)
	return nil
}

// jqlTime formats a time for JQL: minute precision, in the user's time zone.
func jqlTime(t time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006/01/02 15:04")
}

// page turns one search page into records and emits them with the advanced cursor.
func (r *issuesRun) page(raws []json.RawMessage) error {
	parsed := make([]*parsedIssue, 0, len(raws))
	for _, raw := range raws {
		p, err := parseIssue(raw)
		if err != nil {
			return r.s.fail("search", http.StatusOK, "an issue could not be read: "+err.Error(), "", err)
		}
		parsed = append(parsed, p)
		if p.key != "" {
			r.keyIDs[p.key] = p.id
		}
	}
	// Only changed issues need their history completed and written.
	var changed []*parsedIssue
	for _, p := range parsed {
		v := p.version()
		r.read[p.id] = v
		if !r.req.Full && r.stored[p.id] >= v {
			continue
		}
		changed = append(changed, p)
	}
	// On Cloud the truncated histories are read in bulk, 1,000 issues a request: their
	// issues are held across pages rather than completed page by page, which would cost
	// a bulk request per search page (about as many requests again as the search).
	ready := changed
	if r.deploy == deployCloud && !r.s.noBulk.Load() {
		ready = ready[:0:0]
		for _, p := range changed {
			if p.changelog.truncated() {
				r.held = append(r.held, p)
			} else {
				ready = append(ready, p)
			}
		}
	} else if err := r.s.completeChangelogs(r.ctx(), r.deploy, changed); err != nil {
		return err
	}
	for _, p := range parsed {
		if p.updated.After(r.cur.Since) {
			r.cur.Since = p.updated.UTC()
		}
	}
	if len(r.held) >= holdIssues {
		return r.emitIssues(ready, true)
	}
	return r.emitIssues(ready, false)
}

// flushHeld completes and emits the issues held for a bulk changelog read.
func (r *issuesRun) flushHeld() error {
	if len(r.held) == 0 {
		return nil
	}
	return r.emitIssues(nil, true)
}

// emitIssues emits ready issues and, with flush, the held ones after completing their
// histories. The cursor goes with a page only when nothing is held: it must not pass an
// issue that is not written yet.
func (r *issuesRun) emitIssues(ready []*parsedIssue, flush bool) error {
	if flush {
		if err := r.s.completeChangelogs(r.ctx(), r.deploy, r.held); err != nil {
			return err
		}
		ready = append(ready, r.held...)
		r.held = nil
	}
	var out connectors.Page
	for _, p := range ready {
		rec, err := p.record(r.ids, func(key string) string { return r.keyIDs[key] }, r.users)
		if err != nil {
			return err
		}
		out.Records = append(out.Records, rec)
	}
	if len(r.held) == 0 {
		var err error
		if out.Cursor, err = json.Marshal(r.cur); err != nil {
			return err
		}
	}
	if len(out.Records) == 0 && out.Cursor == nil {
		return nil
	}
	r.written += len(out.Records)
	return r.emit(r.ctx(), out)
}

// ctx is the run's context; searchAll's callback has none of its own.
func (r *issuesRun) ctx() context.Context { return r.runCtx }

// reconcile finds deletions and anything the pass missed. A cheap count of the scope
// says whether the warehouse and Jira agree; only when they do not does an id-only sweep
// run: ids gone from Jira become tombstones, ids Jira has but the warehouse lacks (an
// issue that shifted between pages while the pass ran) are fetched.
func (r *issuesRun) reconcile(ctx context.Context, full bool) error {
	live := map[string]uint64{}
	if !full {
		for id, v := range r.stored {
			live[id] = v
		}
	}
	for id, v := range r.read {
		live[id] = max(live[id], v)
	}
	n, err := r.s.count(ctx, r.deploy)
	if err != nil {
		return err
	}
	var gone []string
	if n == len(live) {
		if full {
			for id := range r.stored {
				if _, ok := r.read[id]; !ok {
					gone = append(gone, id)
				}
			}
		}
	} else {
		r.s.log.Info("jira issue count differs from the warehouse, sweeping ids", "jira", n, "warehouse", len(live))
		inJira, err := r.s.sweepIDs(ctx, r.deploy)
		if err != nil {
			return err
		}
		for id := range r.stored {
			live[id] = max(live[id], r.stored[id])
		}
		var missing []string
		for id := range inJira {
			if _, ok := live[id]; !ok {
				missing = append(missing, id)
			}
		}
		for id := range live {
			if !inJira[id] {
				gone = append(gone, id)
			}
		}
		if err := r.fetchMissing(missing); err != nil {
			return err
		}
	}
	sort.Strings(gone)
	var out connectors.Page
	for _, id := range gone {
		v := max(r.stored[id], r.read[id]) + 1 // Jira keeps no deletion time: just above the last version
		out.Records = append(out.Records, connectors.Record{Stream: StreamIssues, NativeID: id, Version: v, ChangedAt: r.s.now().UTC(), Deleted: true})
	}
	if len(gone) > 0 {
		// A 404 or a vanished id can also mean the user lost permission.
		r.s.log.Info("jira issues gone (deleted, moved out of scope or no longer visible)", "count", len(gone))
	}
	if out.Cursor, err = json.Marshal(r.cur); err != nil {
		return err
	}
	return r.emit(ctx, out)
}

// fetchMissing reads issues by id, 100 per search.
func (r *issuesRun) fetchMissing(ids []string) error {
	sort.Strings(ids)
	for len(ids) > 0 {
		n := min(len(ids), 100)
		jql := "id in (" + strings.Join(ids[:n], ", ") + ") ORDER BY id ASC"
		if err := r.s.searchAll(r.ctx(), r.deploy, jql, r.fields, true, r.page); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
