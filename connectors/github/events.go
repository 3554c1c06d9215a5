package github

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

type eventsCursor struct {
	Repos map[string]*repoEvents `json:"repos"`
}

// repoEvents: the repository event list is newest first and has no since, so the
// position is the newest event id seen, and the first page's ETag.
type repoEvents struct {
	LastID int64  `json:"last_id"`
	ETag   string `json:"etag,omitempty"`
}

type ghEvent struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

func (r *run) syncEvents(ctx context.Context, raw json.RawMessage) error {
	cur := eventsCursor{}
	r.loadCursor(raw, &cur)
	if cur.Repos == nil {
		cur.Repos = map[string]*repoEvents{}
	}
	repos, err := r.repositories(ctx)
	if err != nil {
		return err
	}
	errs := r.forEachRepo(ctx, repos, func(ctx context.Context, repo string) error {
		r.mu.Lock()
		var rc repoEvents
		if p := cur.Repos[repo]; p != nil {
			rc = *p
		}
		r.mu.Unlock()
		next, err := r.syncRepoEvents(ctx, repo, rc)
		if err != nil {
			return err
		}
		return r.emitState(ctx, func() any {
			cur.Repos[repo] = &next
			return cur
		})
	})
	return joinErrs(errs)
}

// syncRepoEvents emits events newer than rc.LastID. The new position is only valid once
// the walk reaches the old one, so pages go out without a cursor until then.
func (r *run) syncRepoEvents(ctx context.Context, repo string, rc repoEvents) (repoEvents, error) {
	u := fmt.Sprintf("%s/issues/events?per_page=%d", repoPath(repo), r.c.cfg.PageSize)
	etag := rc.ETag
	next := rc
	for i := 0; u != ""; i++ {
		p, err := r.cl.get(ctx, u, etag)
		if err != nil {
			return rc, err
		}
		if p.NotModified {
			return rc, nil
		}
		if i == 0 {
			next.ETag = p.ETag
		}
		etag = ""
		items, err := decodeList(p, "GET /"+repoPath(repo)+"/issues/events", r.c.src.Name)
		if err != nil {
			return rc, err
		}
		var recs []connectors.Record
		reached := false
		for _, it := range items {
			var ev ghEvent
			if err := decodeItem(it, &ev); err != nil || ev.ID == 0 {
				return rc, notJSON(p, "", r.c.src.Name, fmt.Errorf("event without id in %s: %v", repo, err))
			}
			if ev.ID <= rc.LastID {
				reached = true
				break
			}
			next.LastID = max(next.LastID, ev.ID)
			// Events never change: their creation time orders them.
			recs = append(recs, connectors.Record{Stream: StreamEvents, NativeID: strconv.FormatInt(ev.ID, 10),
				Version: micros(ev.CreatedAt), ChangedAt: ev.CreatedAt, Payload: it})
		}
		if len(recs) > 0 {
			if err := r.emit(ctx, connectors.Page{Records: recs}); err != nil {
				return rc, err
			}
		}
		if reached {
			break
		}
		u = p.Next
	}
	return next, nil
}
