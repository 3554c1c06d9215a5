package github

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pmohub/pmohub/connectors"
)

type milestonesCursor struct {
	Repos map[string]*repoMilestones `json:"repos"`
}

// repoMilestones: the list has no since, so its first page's ETag tells "unchanged", and
// the ids listed last time tell which milestones were deleted.
type repoMilestones struct {
	ETag       string  `json:"etag,omitempty"`
	Milestones []int64 `json:"milestones,omitempty"`
}

// syncMilestones reads every repository's milestones (all states) as work items of their own.
func (r *run) syncMilestones(ctx context.Context, raw json.RawMessage) error {
	cur := milestonesCursor{}
	r.loadCursor(raw, &cur)
	if cur.Repos == nil {
		cur.Repos = map[string]*repoMilestones{}
	}
	repos, err := r.repositories(ctx)
	if err != nil {
		return err
	}
	stored, err := r.storedIDs(ctx, StreamMilestones)
	if err != nil {
		return err
	}
	errs := r.forEachRepo(ctx, repos, func(ctx context.Context, repo string) error {
		r.mu.Lock()
		var rc repoMilestones
		if p := cur.Repos[repo]; p != nil {
			rc = *p
		}
		r.mu.Unlock()
		gone, err := r.syncRepoMilestones(ctx, repo, &rc, stored)
		if err != nil {
			return err
		}
		return r.emitState(ctx, func() any {
			cur.Repos[repo] = &rc
			return cur
		}, gone...)
	})
	return joinErrs(errs)
}

// syncRepoMilestones emits one repository's changed milestones and returns the
// tombstones of deleted ones, to be committed with the cursor that forgets them.
func (r *run) syncRepoMilestones(ctx context.Context, repo string, rc *repoMilestones, stored map[string]uint64) ([]connectors.Record, error) {
	etag := rc.ETag
	u := fmt.Sprintf("%s/milestones?state=all&sort=due_on&direction=asc&per_page=%d", repoPath(repo), r.c.cfg.PageSize)
	var ids []int64
	var firstETag string
	for i := 0; u != ""; i++ {
		p, err := r.cl.get(ctx, u, etag)
		if err != nil {
			return nil, err
		}
		if p.NotModified {
			return nil, nil
		}
		if i == 0 {
			firstETag = p.ETag
		}
		etag = ""
		items, err := decodeList(p, "GET /"+repoPath(repo)+"/milestones", r.c.src.Name)
		if err != nil {
			return nil, err
		}
		var recs []connectors.Record
		for _, it := range items {
			var m ghMilestone
			if err := decodeItem(it, &m); err != nil || m.ID == 0 {
				return nil, notJSON(p, "", r.c.src.Name, fmt.Errorf("milestone without id in %s: %v", repo, err))
			}
			ids = append(ids, m.ID)
			env := envelope{Kind: "milestone", Repository: repo, Milestone: it,
				Derived: derived{Key: fmt.Sprintf("%s/milestone/%d", repo, m.Number), State: "milestone_" + m.State, Type: "milestone"}}
			rec := connectors.Record{Stream: StreamMilestones, NativeID: milestoneID(m.ID),
				Version: micros(m.UpdatedAt), ChangedAt: m.UpdatedAt, Payload: env.encode()}
			if r.newer(stored, rec) {
				recs = append(recs, rec)
			}
		}
		if len(recs) > 0 {
			if err := r.emit(ctx, connectors.Page{Records: recs}); err != nil {
				return nil, err
			}
		}
		u = p.Next
	}
	listed := map[int64]bool{}
	for _, id := range ids {
		listed[id] = true
	}
	var gone []connectors.Record
	for _, id := range rc.Milestones {
		if v, ok := stored[milestoneID(id)]; ok && !listed[id] {
			gone = append(gone, r.tombstone(StreamMilestones, milestoneID(id), v))
		}
	}
	rc.Milestones, rc.ETag = ids, firstETag
	return gone, nil
}
