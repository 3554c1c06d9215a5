package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

// peopleCursor: the highest items version already scanned for logins.
type peopleCursor struct {
	ItemsVersion uint64 `json:"items_version"`
}

// syncPeople fetches /users/{login} once for every author or assignee not yet stored
// (names and public e-mails let the people table match identities across tools).
func (r *run) syncPeople(ctx context.Context, raw json.RawMessage) error {
	var cur peopleCursor
	r.loadCursor(raw, &cur)
	st := r.req.Env.Stored
	if st == nil {
		return nil
	}
	items, err := r.storedIDs(ctx, StreamItems)
	if err != nil {
		return err
	}
	var ids []string
	top := cur.ItemsVersion
	for id, v := range items {
		if v > cur.ItemsVersion {
			ids = append(ids, id)
			top = max(top, v)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	have, err := r.storedIDs(ctx, StreamPeople)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	err = st.Records(ctx, StreamItems, ids, func(s connectors.StoredRecord) error {
		for _, l := range loginsOf(s.Payload) {
			if _, ok := have[l]; !ok || r.req.Full {
				want[l] = true
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("source %s: read stored items: %w", r.c.src.Name, err)
	}
	logins := make([]string, 0, len(want))
	for l := range want {
		logins = append(logins, l)
	}
	slices.Sort(logins)
	var recs []connectors.Record
	flush := func(cursor bool) error {
		pg := connectors.Page{Records: recs}
		if cursor {
			pg.Cursor = mustJSON(peopleCursor{ItemsVersion: top})
		}
		recs = nil
		return r.emit(ctx, pg)
	}
	for _, l := range logins {
		p, err := r.cl.get(ctx, "users/"+url.PathEscape(l), "")
		if err != nil {
			return err
		}
		var u struct {
			Login     string    `json:"login"`
			UpdatedAt time.Time `json:"updated_at"`
		}
		if err := json.Unmarshal(p.Body, &u); err != nil || u.Login == "" {
			return fmt.Errorf("source %s: user %s: unreadable answer: %v", r.c.src.Name, l, err)
		}
		recs = append(recs, connectors.Record{Stream: StreamPeople, NativeID: u.Login,
			Version: micros(u.UpdatedAt), ChangedAt: u.UpdatedAt, Payload: p.Body})
		if len(recs) == 100 {
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	return flush(true)
}

// loginsOf lists the authors and assignees an items payload names.
func loginsOf(payload []byte) []string {
	type user struct {
		Login string `json:"login"`
	}
	var e struct {
		Issue struct {
			User      *user  `json:"user"`
			Assignees []user `json:"assignees"`
		} `json:"issue"`
		Milestone struct {
			Creator *user `json:"creator"`
		} `json:"milestone"`
	}
	if json.Unmarshal(payload, &e) != nil {
		return nil
	}
	var out []string
	if e.Issue.User != nil && e.Issue.User.Login != "" {
		out = append(out, e.Issue.User.Login)
	}
	for _, a := range e.Issue.Assignees {
		if a.Login != "" {
			out = append(out, a.Login)
		}
	}
	if e.Milestone.Creator != nil && e.Milestone.Creator.Login != "" {
		out = append(out, e.Milestone.Creator.Login)
	}
	return out
}
