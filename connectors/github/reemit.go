package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/pmohub/pmohub/connectors"
)

// reemit emits again the items whose derived state changed without a change of their
// own: issues whose closing pull requests opened, closed or merged (each repository's
// Pending), and items whose board place changed or that left a board. Their stored
// payloads are derived again; a result equal to what is stored is not emitted. The
// cursor that clears the work is saved with those records.
func (r *run) reemit(ctx context.Context, cur *itemsCursor, repos []string) error {
	want := map[string]bool{}
	changed := false
	marks, err := r.boardWork(ctx, cur, repos, want)
	if err != nil {
		return err
	}
	if !maps.Equal(marks, cur.Board) {
		changed = true
	}
	for _, repo := range slices.Sorted(maps.Keys(cur.Repos)) {
		rc := cur.Repos[repo]
		for _, n := range slices.Sorted(maps.Keys(rc.Pending)) {
			changed = true
			id := rc.Pending[n]
			if id == "" {
				if id, err = r.issueID(ctx, repo, n); err != nil {
					return err
				}
			}
			if id != "" {
				want[id] = true
			}
		}
	}
	if !changed {
		return nil
	}
	var recs []connectors.Record
	if st := r.req.Env.Stored; st != nil && len(want) > 0 {
		links := map[string]*repoLinks{}
		for repo, rc := range cur.Repos {
			links[strings.ToLower(repo)] = newRepoLinks(repo, rc.Links)
		}
		err := st.Records(ctx, StreamItems, slices.Sorted(maps.Keys(want)), func(s connectors.StoredRecord) error {
			if rec, ok := r.rederive(s, links); ok {
				recs = append(recs, rec)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("source %s: read stored items: %w", r.c.src.Name, err)
		}
	}
	return r.emitState(ctx, func() any {
		// What the raw layer does not hold is gone: the engine lets a connector read
		// every page it emitted, so nothing waits for a later run.
		for _, rc := range cur.Repos {
			rc.Pending = nil
		}
		cur.Board = marks
		return *cur
	}, recs...)
}

// boardWork returns the board marks to keep and adds to want the items whose stored
// board data is out of date (not emitted in this run, and their place changed).
func (r *run) boardWork(ctx context.Context, cur *itemsCursor, repos []string, want map[string]bool) (map[string]boardMark, error) {
	if len(r.c.cfg.Projects) == 0 && len(cur.Board) == 0 {
		return nil, nil
	}
	synced := map[string]bool{}
	for _, repo := range repos {
		synced[strings.ToLower(repo)] = true
	}
	marks := make(map[string]boardMark, len(r.boards))
	for k, e := range r.boards {
		if repo, _, _ := strings.Cut(k, "#"); !synced[repo] {
			continue // on the board, but from a repository this source does not read
		}
		m := boardMark{Sig: e.place.sig(), ID: e.issueID}
		if m.ID == "" {
			m.ID = r.boardEmitted[k]
		}
		if m.ID == "" {
			m.ID = cur.Board[k].ID
		}
		marks[k] = m
	}
	keys := slices.Collect(maps.Keys(marks))
	for k := range cur.Board {
		if _, ok := marks[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		m, old := marks[k], cur.Board[k]
		if _, done := r.boardEmitted[k]; done || m.Sig == old.Sig {
			continue
		}
		id := cmpOr(m.ID, old.ID)
		if id == "" {
			repo, num, _ := strings.Cut(k, "#")
			n, _ := strconv.Atoi(num)
			var err error
			if id, err = r.issueID(ctx, repo, n); err != nil {
				// The board data waits for the item's next change; the sync goes on.
				r.cl.log.Warn("board item not resolved", "item", k, "err", err)
				continue
			}
		}
		if id == "" {
			continue
		}
		want[id] = true
		if _, ok := marks[k]; ok {
			m.ID = id
			marks[k] = m
		}
	}
	if len(marks) == 0 {
		return nil, nil
	}
	return marks, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// issueID asks GitHub for the id of issue (or pull request) n of repo; "" when it is
// gone or was transferred away.
func (r *run) issueID(ctx context.Context, repo string, n int) (string, error) {
	p, err := r.cl.get(ctx, fmt.Sprintf("%s/issues/%d", repoPath(repo), n), "")
	var se *connectors.SourceError
	switch {
	case errors.As(err, &se) && (se.Status == http.StatusGone || se.Status == http.StatusNotFound):
		return "", nil
	case err != nil:
		return "", err
	}
	var is ghIssue
	if err := decodeItem(p.Body, &is); err != nil || is.ID == 0 {
		return "", notJSON(p, "", r.c.src.Name, fmt.Errorf("issue %s#%d without id: %v", repo, n, err))
	}
	if !strings.EqualFold(repoFromURL(is.RepoURL), repo) {
		return "", nil
	}
	return strconv.FormatInt(is.ID, 10), nil
}

// rederive builds a stored item's record again with the current linked pull requests
// and board place; ok is false when nothing changed.
func (r *run) rederive(s connectors.StoredRecord, links map[string]*repoLinks) (connectors.Record, bool) {
	var e struct {
		Kind       string          `json:"kind"`
		Repository string          `json:"repository"`
		Issue      json.RawMessage `json:"issue"`
		Pull       json.RawMessage `json:"pull"`
	}
	if json.Unmarshal(s.Payload, &e) != nil || len(e.Issue) == 0 {
		return connectors.Record{}, false
	}
	var is ghIssue
	if decodeItem(e.Issue, &is) != nil {
		return connectors.Record{}, false
	}
	var rec connectors.Record
	switch e.Kind {
	case "issue":
		var linked []int
		var at uint64
		if l := links[strings.ToLower(e.Repository)]; l != nil {
			linked, at = l.linked(is.Number)
		}
		rec = r.issueRecord(e.Repository, e.Issue, &is, linked, at)
	case "pull_request":
		var pr ghIssue
		if len(e.Pull) == 0 || decodeItem(e.Pull, &pr) != nil {
			return connectors.Record{}, false
		}
		rec, _ = r.pullRecord(e.Repository, heldIssue{raw: e.Issue, parsed: is}, e.Pull, &pr)
	default:
		return connectors.Record{}, false
	}
	if rec.NativeID != s.NativeID || bytes.Equal(rec.Payload, s.Payload) {
		return connectors.Record{}, false
	}
	// A change of the item's surroundings, not of the item: its version must still win.
	rec.Version = max(rec.Version, s.Version+1)
	return rec, true
}
