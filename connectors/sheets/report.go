package sheets

import (
	"slices"

	"github.com/pmohub/pmohub/connectors/tabular"
)

// defaultColumns are the titles the built-in mapping reads (normalized); other columns
// end up in attributes only when a mapping names them.
var defaultColumns = map[string]bool{
	"status": true, "owner": true, "assignee": true, "start": true, "start date": true,
	"due": true, "due date": true, "target date": true, "finish": true, "end date": true,
	"% complete": true, "percent complete": true, "title": true, "task": true, "project": true,
	"name": true, "project name": true, "type": true, "priority": true, "health": true,
	"programme": true, "program": true, "portfolio": true, "estimate": true, "points": true,
	"description": true, "summary": true, "labels": true, "tags": true, "parent": true,
	"jira project": true, "jira key": true, "jira project key": true, "jira": true,
	"github repo": true, "github repository": true, "github": true, "repository": true, "repo": true,
	"smartsheet sheet": true, "smartsheet": true, "smartsheet sheet id": true,
	"created": true, "updated": true, "category": true, "risk": true,
	"project id": true, "project manager": true, "pm": true, "rag": true, "story points": true,
	"state": true, "prio": true, "parent id": true, "created at": true, "created date": true,
	"last updated": true, "modified": true, "project status": true,
}

// maxProblemLogs caps the problems logged one by one per tab.
const maxProblemLogs = 20

// reportColumns logs how a tab's columns are read the first time it is seen, and the drift
// when its header changed since the last sync (a removed, renamed or new column).
func (r *run) reportColumns(ref tabular.TableRef, prev *tabState, now tabState) {
	if prev == nil {
		var mapped, rest []string
		for _, t := range now.Columns {
			if defaultColumns[tabular.Normalize(t)] {
				mapped = append(mapped, t)
			} else {
				rest = append(rest, t)
			}
		}
		r.log.Info("sheets: tab columns", "spreadsheet", ref.ID, "tab", ref.Tab,
			"mapped_by_default", mapped, "not_mapped_by_default", rest, "types", now.Types)
		return
	}
	var removed, added []string
	for _, t := range prev.Columns {
		if !slices.Contains(now.Columns, t) {
			removed = append(removed, t)
		}
	}
	for _, t := range now.Columns {
		if !slices.Contains(prev.Columns, t) {
			added = append(added, t)
		}
	}
	switch {
	case len(removed) == 1 && len(added) == 1:
		r.log.Warn("sheets: column renamed? mappings naming the old title read nothing",
			"spreadsheet", ref.ID, "tab", ref.Tab, "column", removed[0], "new_column", added[0])
	default:
		for _, t := range removed {
			r.log.Warn("sheets: column removed or renamed; mappings naming it read nothing",
				"spreadsheet", ref.ID, "tab", ref.Tab, "column", t)
		}
		for _, t := range added {
			r.log.Info("sheets: new column", "spreadsheet", ref.ID, "tab", ref.Tab, "column", t)
		}
	}
	for t, ty := range now.Types {
		if old, ok := prev.Types[t]; ok && old != ty {
			r.log.Warn("sheets: column type changed", "spreadsheet", ref.ID, "tab", ref.Tab, "column", t, "from", old, "to", ty)
		}
	}
}

// reportProblems logs empty and duplicate keys and cells kept as text.
func (r *run) reportProblems(ps []tabular.Problem) {
	for i, p := range ps {
		if i == maxProblemLogs {
			r.log.Warn("sheets: more problems not logged", "count", len(ps)-maxProblemLogs)
			return
		}
		r.log.Warn("sheets: "+string(p.Kind), "spreadsheet", p.Table.ID, "tab", p.Table.Tab,
			"row", p.Row, "column", p.Column, "value", p.Value, "detail", p.Detail)
	}
}
