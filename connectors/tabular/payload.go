package tabular

import (
	"encoding/json"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
)

// Payload is the raw record of one tabular row. Mappings read `cells` with `column:` and
// the other fields with `path:`. The shape is shared by the Sheets and Smartsheet
// connectors so one mapping style serves both.
type Payload struct {
	TableID   string `json:"table_id"`             // spreadsheet id / Smartsheet sheet id
	TableName string `json:"table_name,omitempty"` // spreadsheet / sheet name
	Tab       string `json:"tab,omitempty"`        // tab title (Sheets)
	TabID     string `json:"tab_id,omitempty"`     // tab gid (Sheets)
	URL       string `json:"url,omitempty"`        // link to the row
	Entity    string `json:"entity,omitempty"`     // what the row is configured as: projects, work_items, …
	KeyColumn string `json:"key_column"`
	Key       string `json:"key"`
	// Row is the row number when the row's content last changed (moves alone do not
	// re-emit a row).
	Row   int    `json:"row"`
	RowID string `json:"row_id,omitempty"` // the source's row id (Smartsheet)
	// Cells holds every column by title: typed values, dates as ISO 8601, empty as null.
	Cells map[string]any `json:"cells"`
	// StatusColumn names the column the history follows ("" when none); Status is its
	// value as text (diffs read it without decoding the cells).
	StatusColumn string `json:"status_column,omitempty"`
	Status       string `json:"status,omitempty"`
	// Members lists the delivery-tool scopes the row names (Jira project, GitHub
	// repository, Smartsheet sheet), for project_members.
	Members []Member `json:"members,omitempty"`
	// Problems lists cells kept as text because they do not fit their column's type.
	Problems []CellProblem `json:"problems,omitempty"`
	// Hash identifies the cells' content; diffs compare it.
	Hash string `json:"hash"`
	// History is every status change pmohub has seen, oldest first (capped); the mapping
	// turns it into transitions.
	History []Change `json:"history,omitempty"`
}

// Change is one status change seen between two snapshots.
type Change struct {
	ID      string `json:"id"`      // unique per row: the snapshot version that saw it
	At      string `json:"at"`      // RFC 3339: the source's modification time of that snapshot
	Version uint64 `json:"version"` // the snapshot version
	Field   string `json:"field"`   // "status"
	From    string `json:"from"`
	To      string `json:"to"`
}

// MaxHistory caps the history kept in a row's payload (oldest dropped first).
const MaxHistory = 200

// Member is one delivery-tool scope a register row names.
type Member struct {
	Kind string `json:"kind"` // jira_project, github_repo, smartsheet_sheet
	Ref  string `json:"ref"`
}

// Encode renders the payload as JSON. Map keys are sorted by encoding/json, so the same
// row always encodes the same bytes.
func (p *Payload) Encode() (json.RawMessage, error) {
	return json.Marshal(p)
}

// NewPayload fills a payload from a built row.
func NewPayload(ref TableRef, keyColumn string, row Row) *Payload {
	return &Payload{
		TableID: ref.ID, TableName: ref.Name, Tab: ref.Tab, TabID: ref.TabID,
		KeyColumn: keyColumn, Key: row.Key, Row: row.Number, RowID: row.ID,
		Cells: row.Cells, Problems: row.Problems, Hash: row.Hash,
		Members: DetectMembers(row.Cells),
	}
}

func hashCells(cells map[string]any) string {
	keys := make([]string, 0, len(cells))
	for k := range cells {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		switch v := cells[k].(type) {
		case nil:
			h.Write([]byte{'n'})
		case string:
			h.Write([]byte{'s'})
			h.Write([]byte(v))
		case float64:
			h.Write([]byte{'f'})
			h.Write(strconv.AppendFloat(nil, v, 'g', -1, 64))
		case bool:
			if v {
				h.Write([]byte{'t'})
			} else {
				h.Write([]byte{'F'})
			}
		default:
			b, _ := json.Marshal(v)
			h.Write(b)
		}
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 16)
}

// memberColumns maps normalized column titles to the scope kind they name.
var memberColumns = map[string]string{
	"jira project": "jira_project", "jira key": "jira_project", "jira project key": "jira_project", "jira": "jira_project",
	"github repo": "github_repo", "github repository": "github_repo", "github": "github_repo", "repository": "github_repo", "repo": "github_repo",
	"smartsheet sheet": "smartsheet_sheet", "smartsheet": "smartsheet_sheet", "smartsheet sheet id": "smartsheet_sheet",
}

// DetectMembers finds the delivery-tool scopes a row names in columns titled like "Jira
// Project", "GitHub Repo" or "Smartsheet Sheet". A cell may list several, separated by
// commas, semicolons or newlines. The result is sorted and deduplicated.
func DetectMembers(cells map[string]any) []Member {
	var out []Member
	seen := map[Member]bool{}
	for title, v := range cells {
		kind, ok := memberColumns[Normalize(title)]
		if !ok || v == nil {
			continue
		}
		for _, ref := range strings.FieldsFunc(Text(v), func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
			ref = strings.TrimSpace(ref)
			if kind == "github_repo" {
				ref = strings.TrimSuffix(strings.TrimPrefix(ref, "https://github.com/"), "/")
			}
			m := Member{Kind: kind, Ref: ref}
			if ref == "" || seen[m] {
				continue
			}
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Ref < out[j].Ref
	})
	return out
}

// SetStatusColumn names the column the history follows and records its value, which
// ParseStored reads back for the next diff.
func (p *Payload) SetStatusColumn(title string) {
	p.StatusColumn = title
	p.Status = ""
	if title != "" {
		p.Status = Text(p.Cells[title])
	}
}
