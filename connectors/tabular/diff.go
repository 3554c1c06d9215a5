package tabular

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Stored is what a diff needs of a row the warehouse already holds.
type Stored struct {
	NativeID string
	Version  uint64
	Key      string
	Hash     string
	Status   string // the stored value of the status column
	History  []Change
}

// ParseStored reads a stored row payload (one written by Payload.Encode).
func ParseStored(nativeID string, version uint64, payload []byte) (Stored, error) {
	// Cells are not decoded: the hash and the status field are enough to diff.
	var p struct {
		Key     string   `json:"key"`
		Hash    string   `json:"hash"`
		Status  string   `json:"status"`
		History []Change `json:"history"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return Stored{}, fmt.Errorf("stored row %s: %w", nativeID, err)
	}
	return Stored{NativeID: nativeID, Version: version, Key: p.Key, Hash: p.Hash, Status: p.Status, History: p.History}, nil
}

// Snapshot is the version of the source a diff was taken at.
type Snapshot struct {
	Version    uint64    // the source's change order (Drive version, Smartsheet sheet version)
	ModifiedAt time.Time // the source's modification time: when the status changes happened
}

// Diff is what changed between the stored rows of a table and a new read.
type Diff struct {
	// Upserts are the rows to write (new or changed), in sheet order, each with its history
	// (stored history plus the status change seen now, if any).
	Upserts []Upsert
	// Removed are the stored rows the table no longer has (by key), sorted: write them as
	// deletions.
	Removed []Stored
	// Unchanged counts rows whose content did not change: nothing is written for them.
	Unchanged int
	// StatusChanges counts the status changes recorded.
	StatusChanges int
}

// Upsert is one row to write.
type Upsert struct {
	Row     Row
	New     bool
	History []Change
}

// Compare diffs a built table against its stored rows (keyed by row key). statusColumn
// names the column whose changes become history ("" for none). Use it only on a complete,
// successful read: a row missing from res is reported as removed.
func Compare(stored map[string]Stored, res *Result, statusColumn string, snap Snapshot) Diff {
	var d Diff
	seen := make(map[string]bool, len(res.Rows))
	statusTitle := ""
	if statusColumn != "" {
		if c, ok := res.Column(statusColumn); ok {
			statusTitle = c.Title
		}
	}
	for _, row := range res.Rows {
		seen[row.Key] = true
		prev, had := stored[row.Key]
		if had && prev.Hash == row.Hash {
			d.Unchanged++
			continue
		}
		u := Upsert{Row: row, New: !had}
		if had {
			u.History = prev.History
			if statusTitle != "" {
				now := Text(row.Cells[statusTitle])
				if now != prev.Status {
					u.History = appendChange(prev.History, Change{
						ID:      strconv.FormatUint(snap.Version, 10),
						At:      snap.ModifiedAt.UTC().Format(time.RFC3339Nano),
						Version: snap.Version,
						Field:   "status",
						From:    prev.Status,
						To:      now,
					})
					d.StatusChanges++
				}
			}
		}
		d.Upserts = append(d.Upserts, u)
	}
	for key, s := range stored {
		if !seen[key] {
			d.Removed = append(d.Removed, s)
		}
	}
	sort.Slice(d.Removed, func(i, j int) bool { return d.Removed[i].Key < d.Removed[j].Key })
	return d
}

// appendChange adds c unless the history already holds a change with its id (a re-read of
// the same snapshot), keeping at most MaxHistory entries.
func appendChange(h []Change, c Change) []Change {
	for _, old := range h {
		if old.ID == c.ID && old.Field == c.Field {
			return h
		}
	}
	out := make([]Change, 0, len(h)+1)
	out = append(out, h...)
	out = append(out, c)
	if len(out) > MaxHistory {
		out = out[len(out)-MaxHistory:]
	}
	return out
}
