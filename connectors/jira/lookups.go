package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

type storedRecord = connectors.StoredRecord

// item is one record of a lookup stream as fetched.
type item struct {
	id      string
	payload json.RawMessage
}

// lookupCursor remembers when a lookup stream was last read: lookups change rarely, so
// they are re-read every LookupRefresh rather than on every sync.
type lookupCursor struct {
	FetchedAt time.Time `json:"fetched_at"`
}

// snapshot reads a whole lookup stream and emits only what changed against the raw
// layer, plus tombstones for what is gone. Lookups have no change time in Jira, so a
// changed record's version is the read time (always above its stored version); an
// unchanged record is not re-emitted, which keeps re-reads harmless.
func (s *session) snapshot(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit, fetch func(context.Context) ([]item, error)) error {
	now := s.now()
	if !req.Full && req.Cursor != nil {
		var cur lookupCursor
		if json.Unmarshal(req.Cursor, &cur) == nil && now.Sub(cur.FetchedAt) < s.c.cfg.LookupRefresh {
			s.log.Debug("jira lookup fresh, skipped", "fetched_at", cur.FetchedAt)
			return nil
		}
	}
	items, err := fetch(ctx)
	if err != nil {
		return err
	}
	stored := map[string]storedRecord{}
	if s.env.Stored != nil {
		err := s.env.Stored.Records(ctx, req.Stream, nil, func(r storedRecord) error {
			stored[r.NativeID] = r
			return nil
		})
		if err != nil {
			return fmt.Errorf("source %s: read stored %s: %w", s.c.src.Name, req.Stream, err)
		}
	}
	version := uint64(now.UnixMicro())
	var page connectors.Page
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.id] {
			continue
		}
		seen[it.id] = true
		old, ok := stored[it.id]
		if ok && sameJSON(old.Payload, it.payload) {
			continue
		}
		page.Records = append(page.Records, connectors.Record{Stream: req.Stream, NativeID: it.id,
			Version: max(version, old.Version+1), ChangedAt: now, Payload: it.payload})
	}
	gone := make([]string, 0)
	for id := range stored {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	sort.Strings(gone)
	for _, id := range gone {
		page.Records = append(page.Records, connectors.Record{Stream: req.Stream, NativeID: id,
			Version: max(version, stored[id].Version+1), ChangedAt: now, Deleted: true})
	}
	page.Cursor, _ = json.Marshal(lookupCursor{FetchedAt: now.UTC()})
	s.log.Info("jira lookup read", "fetched", len(items), "changed", len(page.Records)-len(gone), "deleted", len(gone))
	return emit(ctx, page)
}

func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// idOf reads the id of a lookup record (a string or a number).
func idOf(raw json.RawMessage) (string, error) {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	id := strings.Trim(string(v.ID), `"`)
	if id == "" || id == "null" {
		return "", fmt.Errorf("record without id")
	}
	return id, nil
}

func (s *session) items(path string, raws []json.RawMessage) ([]item, error) {
	out := make([]item, 0, len(raws))
	for _, r := range raws {
		id, err := idOf(r)
		if err != nil {
			return nil, s.fail("GET "+path, 200, "a record has no id", "", err)
		}
		out = append(out, item{id: id, payload: r})
	}
	return out, nil
}

func (s *session) fetchList(ctx context.Context, which string) ([]item, error) {
	d, err := s.deployment(ctx)
	if err != nil {
		return nil, err
	}
	path := apiPath(d) + "/" + which
	var raws []json.RawMessage
	if err := s.get(ctx, "GET", path, nil, nil, &raws); err != nil {
		return nil, err
	}
	return s.items(path, raws)
}

func (s *session) fetchFields(ctx context.Context) ([]item, error) {
	items, err := s.fetchList(ctx, "field")
	if err == nil {
		s.c.mu.Lock()
		s.c.fields = nil // re-resolve from the fresh metadata
		s.c.mu.Unlock()
	}
	return items, err
}

func (s *session) fetchStatuses(ctx context.Context) ([]item, error) {
	return s.fetchList(ctx, "status")
}

// valuesPage is the {startAt,maxResults,total,isLast,values} shape of paged lists.
type valuesPage struct {
	StartAt    int               `json:"startAt"`
	MaxResults int               `json:"maxResults"`
	Total      int               `json:"total"`
	IsLast     *bool             `json:"isLast"`
	Values     []json.RawMessage `json:"values"`
}

// pageAll follows startAt paging until isLast (or total) says the list is complete.
func (s *session) pageAll(ctx context.Context, path string, q url.Values) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for start := 0; ; {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("startAt", strconv.Itoa(start))
		qq.Set("maxResults", "50")
		var p valuesPage
		if err := s.get(ctx, "GET", path, qq, nil, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Values...)
		start += len(p.Values)
		last := len(p.Values) == 0 || (p.IsLast != nil && *p.IsLast) || (p.IsLast == nil && start >= p.Total)
		if last {
			return out, nil
		}
	}
}

// fetchProjects reads the configured projects and fails, naming the keys, when one does
// not exist or is not visible: Jira's project search silently leaves those out.
func (s *session) fetchProjects(ctx context.Context) ([]item, error) {
	d, err := s.deployment(ctx)
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	var path string
	if d == deployCloud {
		path = "/rest/api/3/project/search"
		q := url.Values{"expand": {"description,lead"}}
		for _, k := range s.c.cfg.Projects {
			q.Add("keys", k)
		}
		if raws, err = s.pageAll(ctx, path, q); err != nil {
			return nil, err
		}
	} else {
		path = "/rest/api/2/project"
		if err = s.get(ctx, "GET", path, url.Values{"expand": {"description,lead"}}, nil, &raws); err != nil {
			return nil, err
		}
	}
	want := map[string]bool{}
	for _, k := range s.c.cfg.Projects {
		want[strings.ToUpper(k)] = true
	}
	var kept []json.RawMessage
	found := map[string]bool{}
	for _, r := range raws {
		var p struct {
			Key string `json:"key"`
		}
		if json.Unmarshal(r, &p) != nil {
			continue
		}
		if len(want) == 0 || want[strings.ToUpper(p.Key)] {
			kept = append(kept, r)
			found[strings.ToUpper(p.Key)] = true
		}
	}
	var missing []string
	for _, k := range s.c.cfg.Projects {
		if !found[strings.ToUpper(k)] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, s.fail("GET "+path, 0, fmt.Sprintf("project %s does not exist or is not visible to this user", strings.Join(missing, ", ")),
			"check projects in pmohub.yaml and the user's Browse projects permission", nil)
	}
	return s.items(path, kept)
}

// fetchSprints reads the sprints of every scrum board of the configured projects.
func (s *session) fetchSprints(ctx context.Context) ([]item, error) {
	keys := s.c.cfg.Projects
	if len(keys) == 0 {
		keys = []string{""} // a JQL scope: every board the user sees
	}
	var out []item
	seenBoard := map[string]bool{}
	for _, k := range keys {
		q := url.Values{}
		if k != "" {
			q.Set("projectKeyOrId", k)
		}
		boards, err := s.pageAll(ctx, "/rest/agile/1.0/board", q)
		if err != nil {
			return nil, err
		}
		for _, b := range boards {
			var board struct {
				ID   json.Number `json:"id"`
				Type string      `json:"type"`
			}
			if json.Unmarshal(b, &board) != nil || seenBoard[board.ID.String()] {
				continue
			}
			seenBoard[board.ID.String()] = true
			if board.Type != "scrum" { // kanban boards answer 400 for sprints
				continue
			}
			path := "/rest/agile/1.0/board/" + board.ID.String() + "/sprint"
			raws, err := s.pageAll(ctx, path, nil)
			if err != nil {
				return nil, err
			}
			its, err := s.items(path, raws)
			if err != nil {
				return nil, err
			}
			out = append(out, its...)
		}
	}
	return out, nil
}
