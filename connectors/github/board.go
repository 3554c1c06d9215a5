package github

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/pmohub/pmohub/connectors"
)

// boardPlace is an item's place on a Projects (v2) board, carried in the items envelope
// (derived.board) so that a board change re-maps the work item: a lookup into
// project_items would only be read when the item itself changed.
type boardPlace struct {
	Project   string            `json:"project"`
	Status    string            `json:"status,omitempty"`
	Iteration string            `json:"iteration,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// boardEntry is what the items stream knows of one board item.
type boardEntry struct {
	place   boardPlace
	version uint64 // the project item's version: the item's version includes it
	issueID string // the issue's id when the content is an issue (a pull request's differs)
	rank    int    // the board's position in the config: the first board wins
}

// boardMark is the items cursor's memory of the board data an item was last emitted with.
type boardMark struct {
	ID  string `json:"id,omitempty"`
	Sig string `json:"sig"`
}

func (p *boardPlace) sig() string {
	if p == nil {
		return ""
	}
	h := fnv.New64a()
	h.Write(mustJSON(p))
	return strconv.FormatUint(h.Sum64(), 36)
}

// contentKey is "owner/name#number" (lower case) from a board item's content URL
// (…/repos/{o}/{r}/issues/{n} or …/pulls/{n}); "" for draft issues.
func contentKey(contentURL string) string {
	repo := repoFromURL(contentURL)
	parts := strings.Split(repo, "/")
	if len(parts) != 4 || (parts[2] != "issues" && parts[2] != "pulls") {
		return ""
	}
	if _, err := strconv.Atoi(parts[3]); err != nil {
		return ""
	}
	return strings.ToLower(parts[0] + "/" + parts[1] + "#" + parts[3])
}

func itemKey(repo string, number int) string {
	return strings.ToLower(repo) + "#" + strconv.Itoa(number)
}

// loadBoards reads the stored project items of the configured boards: by item key, the
// place on the first configured board that holds the item. project_items syncs before
// items, so this is the board as of this run.
func (r *run) loadBoards(ctx context.Context) (map[string]boardEntry, error) {
	if len(r.c.cfg.Projects) == 0 || r.req.Env.Stored == nil {
		return nil, nil
	}
	rank := map[string]int{}
	for i, pc := range r.c.cfg.Projects {
		rank[pc.ref()] = i
	}
	out := map[string]boardEntry{}
	err := r.req.Env.Stored.Records(ctx, StreamProjectItems, nil, func(s connectors.StoredRecord) error {
		var pi struct {
			Project string `json:"project"`
			Item    struct {
				ContentType string `json:"content_type"`
				Content     struct {
					ID  int64  `json:"id"`
					URL string `json:"url"`
				} `json:"content"`
			} `json:"item"`
			Derived projectDerived `json:"derived"`
		}
		if json.Unmarshal(s.Payload, &pi) != nil {
			return nil
		}
		k := contentKey(pi.Item.Content.URL)
		i, configured := rank[pi.Project]
		if k == "" || !configured {
			return nil // a draft, or a board no longer configured
		}
		if old, ok := out[k]; ok && old.rank <= i {
			return nil
		}
		e := boardEntry{place: boardPlace{Project: pi.Project, Status: pi.Derived.Status,
			Iteration: pi.Derived.Iteration, Fields: pi.Derived.Fields}, version: s.Version, rank: i}
		if pi.Item.ContentType == "Issue" && pi.Item.Content.ID != 0 {
			e.issueID = strconv.FormatInt(pi.Item.Content.ID, 10)
		}
		out[k] = e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("source %s: read stored project items: %w", r.c.src.Name, err)
	}
	return out, nil
}

// place attaches the item's board data to env and returns the board item's version.
// Closed and merged states win over the board: board_status is set only on open items.
func (r *run) place(env *envelope, number int, open bool) uint64 {
	e, ok := r.boards[itemKey(env.Repository, number)]
	if !ok {
		return 0
	}
	p := e.place
	env.Derived.Board = &p
	if open {
		env.Derived.BoardStatus = p.Status
	}
	return e.version
}
