package sheets

import (
	"slices"

	"github.com/pmohub/pmohub/connectors/tabular"
)

// maxProblemLogs caps the problems logged one by one per tab.
const maxProblemLogs = 20

// reportColumns logs how a tab's columns are read the first time it is seen, and the drift
// when its header changed since the last sync (a removed, renamed or new column).
func (r *run) reportColumns(ref tabular.TableRef, prev *tabState, now tabState) {
	if prev == nil {
		// The mapping in force says which columns feed canonical fields; the others
		// reach attributes only through a `columns: rest` source (the built-in mapping's).
		read := map[string]bool{}
		if m := r.req.Env.Mapping; m != nil {
			for _, t := range m.ColumnTitles(StreamRows) {
				read[tabular.Normalize(t)] = true
			}
		}
		var mapped, rest []string
		for _, t := range now.Columns {
			if read[tabular.Normalize(t)] {
				mapped = append(mapped, t)
			} else {
				rest = append(rest, t)
			}
		}
		r.log.Info("sheets: tab columns", "spreadsheet", ref.ID, "tab", ref.Tab,
			"mapped", mapped, "not_mapped", rest, "types", now.Types)
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
	if st := r.req.Env.Stats; st != nil {
		st.Problems.Add(int64(len(ps)))
	}
	for i, p := range ps {
		if i == maxProblemLogs {
			r.log.Warn("sheets: more problems not logged", "count", len(ps)-maxProblemLogs)
			return
		}
		r.log.Warn("sheets: "+string(p.Kind), "spreadsheet", p.Table.ID, "tab", p.Table.Tab,
			"row", p.Row, "column", p.Column, "value", p.Value, "detail", p.Detail)
	}
}
