package github

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/pmohub/pmohub/connectors"
)

// linkPR is an open pull request that closes issues of its repository ("Closes #12").
// The items cursor keeps these per repository: an issue's state depends on them, and an
// issue does not change when a pull request naming it opens or closes.
type linkPR struct {
	To []int  `json:"to"`
	At uint64 `json:"at"` // the pull request's version: the issue's version includes it
}

// seenIssue is what the listing showed of one issue in this run.
type seenIssue struct {
	id      string
	open    bool
	emitted bool
	sig     string // the linked pull requests it was emitted with
	// raw and version of an open issue emitted in this run, kept (within a budget) to emit
	// it again if a pull request listed later closes it.
	raw     json.RawMessage
	version uint64
}

// repoLinks follows one repository's open closing pull requests through a run: the
// cursor's index, updated by the pull requests the listing shows.
type repoLinks struct {
	repo    string
	idx     map[int]linkPR
	rev     map[int]map[int]bool // issue → open pull requests closing it
	oldRev  map[int][]int
	seen    map[int]seenIssue
	prsSeen map[int]bool
}

func newRepoLinks(repo string, old map[int]linkPR) *repoLinks {
	l := &repoLinks{repo: repo, idx: maps.Clone(old), rev: map[int]map[int]bool{}, oldRev: map[int][]int{},
		seen: map[int]seenIssue{}, prsSeen: map[int]bool{}}
	if l.idx == nil {
		l.idx = map[int]linkPR{}
	}
	for pr, lp := range l.idx {
		for _, n := range lp.To {
			l.add(pr, n)
			l.oldRev[n] = append(l.oldRev[n], pr)
		}
	}
	for _, prs := range l.oldRev {
		slices.Sort(prs)
	}
	return l
}

func (l *repoLinks) add(pr, n int) {
	if l.rev[n] == nil {
		l.rev[n] = map[int]bool{}
	}
	l.rev[n][pr] = true
}

func (l *repoLinks) drop(pr int) {
	for _, n := range l.idx[pr].To {
		delete(l.rev[n], pr)
		if len(l.rev[n]) == 0 {
			delete(l.rev, n)
		}
	}
	delete(l.idx, pr)
}

// pull records a pull request entry of the listing: open with closing references, it
// links; otherwise it no longer does.
func (l *repoLinks) pull(pr *ghIssue) {
	l.prsSeen[pr.Number] = true
	l.drop(pr.Number)
	if pr.State != "open" {
		return
	}
	to := slices.DeleteFunc(closingRefs(l.repo, pr.Body), func(n int) bool { return n == pr.Number })
	if len(to) == 0 {
		return
	}
	l.idx[pr.Number] = linkPR{To: to, At: micros(pr.UpdatedAt)}
	for _, n := range to {
		l.add(pr.Number, n)
	}
}

// linked returns the open pull requests closing issue n (sorted) and the newest one's version.
func (l *repoLinks) linked(n int) ([]int, uint64) {
	return linkedOf(l.idx, l.rev[n])
}

func linkedOf(idx map[int]linkPR, prs map[int]bool) ([]int, uint64) {
	if len(prs) == 0 {
		return nil, 0
	}
	out := slices.Sorted(maps.Keys(prs))
	var at uint64
	for _, pr := range out {
		at = max(at, idx[pr].At)
	}
	return out, at
}

// saw records an issue of the listing and the linked pull requests it was emitted with.
func (l *repoLinks) saw(is *ghIssue, linked []int, rec *connectors.Record, keep bool) {
	s := seenIssue{id: strconv.FormatInt(is.ID, 10), open: is.State == "open", emitted: rec != nil, sig: fmt.Sprint(linked)}
	if rec != nil && s.open && keep {
		s.raw, s.version = rec.Payload, rec.Version
	}
	l.seen[is.Number] = s
}

// finish returns the index to keep and the issues whose stored record no longer shows
// the right linked pull requests (number → issue id, "" when the listing did not show
// it). A sweep listed every pull request: the ones it did not show are gone.
func (l *repoLinks) finish(sweep bool, pending map[int]string) (map[int]linkPR, map[int]string) {
	if sweep {
		for pr := range l.idx {
			if !l.prsSeen[pr] {
				l.drop(pr)
			}
		}
	}
	out := maps.Clone(pending)
	if out == nil {
		out = map[int]string{}
	}
	check := func(n int) {
		now, _ := l.linked(n)
		was := fmt.Sprint(l.oldRev[n])
		if s, ok := l.seen[n]; ok {
			if !s.open {
				return // a closed issue's state does not depend on pull requests
			}
			if s.emitted {
				was = s.sig
			}
			if was != fmt.Sprint(now) {
				out[n] = s.id
			}
			return
		}
		if was != fmt.Sprint(now) && out[n] == "" {
			out[n] = ""
		}
	}
	for n := range l.oldRev {
		check(n)
	}
	for n := range l.rev {
		check(n)
	}
	for n, s := range l.seen {
		if id, ok := out[n]; ok && id == "" {
			out[n] = s.id
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return l.idx, out
}
