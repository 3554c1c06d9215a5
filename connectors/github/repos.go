package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

type reposCursor struct {
	// ETags of the configured repositories, by request path.
	ETags map[string]string `json:"etags,omitempty"`
	// OrgPages are each org's list pages in order, with their ETags.
	OrgPages map[string][]pageState `json:"org_pages,omitempty"`
}

type pageState struct {
	URL  string `json:"url"`
	ETag string `json:"etag"`
}

type ghRepo struct {
	ID        int64     `json:"id"`
	FullName  string    `json:"full_name"`
	Archived  bool      `json:"archived"`
	UpdatedAt time.Time `json:"updated_at"`
}

// syncRepositories reads every configured repository and every repository of the
// configured orgs. Unchanged answers cost a 304 each.
func (r *run) syncRepositories(ctx context.Context, raw json.RawMessage) error {
	var cur reposCursor
	r.loadCursor(raw, &cur)
	next := reposCursor{ETags: map[string]string{}}
	stored, err := r.storedIDs(ctx, StreamRepositories)
	if err != nil {
		return err
	}
	var recs []connectors.Record
	add := func(b json.RawMessage, endpoint string) error {
		var repo ghRepo
		if err := json.Unmarshal(b, &repo); err != nil || repo.ID == 0 {
			return &connectors.SourceError{Source: r.c.src.Name, Endpoint: endpoint, Status: 200,
				Message: fmt.Sprintf("response is not valid JSON of the expected shape (%d bytes): %v", len(b), err), Err: err}
		}
		rec := connectors.Record{Stream: StreamRepositories, NativeID: fmt.Sprint(repo.ID),
			Version: micros(repo.UpdatedAt), ChangedAt: repo.UpdatedAt, Payload: b}
		if r.newer(stored, rec) {
			recs = append(recs, rec)
		}
		return nil
	}
	for _, repo := range r.c.cfg.Repos {
		path := repoPath(repo)
		p, err := r.cl.get(ctx, path, cur.ETags[path])
		if err != nil {
			return err
		}
		next.ETags[path] = p.ETag
		if !p.NotModified {
			if err := add(p.Body, "GET /"+path); err != nil {
				return err
			}
		}
	}
	next.OrgPages = map[string][]pageState{}
	for _, org := range r.c.cfg.Orgs {
		known := cur.OrgPages[org]
		u := "orgs/" + url.PathEscape(org) + fmt.Sprintf("/repos?type=all&sort=full_name&per_page=%d", r.c.cfg.PageSize)
		for i := 0; u != ""; i++ {
			etag := ""
			if i < len(known) && known[i].URL == u {
				etag = known[i].ETag
			}
			p, err := r.cl.get(ctx, u, etag)
			if err != nil {
				return err
			}
			next.OrgPages[org] = append(next.OrgPages[org], pageState{URL: u, ETag: p.ETag})
			if p.NotModified {
				// An unchanged page keeps its links: walk on to the page we saw after it.
				u = ""
				if i+1 < len(known) {
					u = known[i+1].URL
				}
				continue
			}
			items, err := decodeList(p, "GET /orgs/"+org+"/repos", r.c.src.Name)
			if err != nil {
				return err
			}
			for _, it := range items {
				var repo ghRepo
				_ = json.Unmarshal(it, &repo)
				if repo.Archived && !r.c.cfg.IncludeArchived {
					continue
				}
				if err := add(it, "GET /orgs/"+org+"/repos"); err != nil {
					return err
				}
			}
			u = p.Next
		}
	}
	return r.emit(ctx, connectors.Page{Records: recs, Cursor: mustJSON(next)})
}

// repositories resolves the repositories to read: the configured ones, then those of the
// configured orgs as the repositories stream stored them (listed live when nothing is
// stored yet).
func (r *run) repositories(ctx context.Context) ([]string, error) {
	out := slices.Clone(r.c.cfg.Repos)
	if len(r.c.cfg.Orgs) == 0 {
		return out, nil
	}
	seen := map[string]bool{}
	for _, x := range out {
		seen[strings.ToLower(x)] = true
	}
	addRepo := func(b []byte) {
		var repo struct {
			ghRepo
			Owner struct {
				Login string `json:"login"`
			} `json:"owner"`
		}
		if json.Unmarshal(b, &repo) != nil || repo.FullName == "" {
			return
		}
		if repo.Archived && !r.c.cfg.IncludeArchived {
			return
		}
		if !slices.ContainsFunc(r.c.cfg.Orgs, func(o string) bool { return strings.EqualFold(o, repo.Owner.Login) }) {
			return
		}
		if !seen[strings.ToLower(repo.FullName)] {
			seen[strings.ToLower(repo.FullName)] = true
			out = append(out, repo.FullName)
		}
	}
	n := len(out)
	if st := r.req.Env.Stored; st != nil {
		err := st.Records(ctx, StreamRepositories, nil, func(s connectors.StoredRecord) error {
			addRepo(s.Payload)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("source %s: read stored repositories: %w", r.c.src.Name, err)
		}
	}
	if len(out) > n {
		slices.Sort(out[n:])
		return out, nil
	}
	for _, org := range r.c.cfg.Orgs {
		u := "orgs/" + url.PathEscape(org) + fmt.Sprintf("/repos?type=all&sort=full_name&per_page=%d", r.c.cfg.PageSize)
		for u != "" {
			p, err := r.cl.get(ctx, u, "")
			if err != nil {
				return nil, err
			}
			items, err := decodeList(p, "GET /orgs/"+org+"/repos", r.c.src.Name)
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				addRepo(it)
			}
			u = p.Next
		}
	}
	return out, nil
}
