package warehouse

import (
	"fmt"
	"strings"
)

// Layout says where the tables go: a database, and optionally a cluster.
type Layout struct {
	Database string
	// Cluster, when set, makes DDL run ON CLUSTER, storage tables Replicated… with a
	// Distributed table in front, sharded by a hash of the dedup key (ReplacingMergeTree
	// only deduplicates within a shard).
	Cluster string
}

func (l Layout) onCluster() string {
	if l.Cluster == "" {
		return ""
	}
	return " ON CLUSTER " + quoteIdent(l.Cluster)
}

// Q qualifies a table or view name with the database.
func (l Layout) Q(name string) string { return quoteIdent(l.Database) + "." + name }

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// createDatabase is the first DDL statement.
func (l Layout) createDatabase() string {
	return "CREATE DATABASE IF NOT EXISTS " + quoteIdent(l.Database) + l.onCluster()
}

// createStorage returns the statements that create a table's versioned storage.
func (l Layout) createStorage(t *Table) []string {
	cols := columnsOf(t)
	var defs []string
	for _, c := range cols {
		defs = append(defs, "    "+c.Name+" "+c.Type)
	}
	if t.Canonical {
		defs = append(defs, "    "+rowHashColumn(t))
	}
	body := "(\n" + strings.Join(defs, ",\n") + "\n)"
	key := strings.Join(sortKey(t), ", ")
	if l.Cluster == "" {
		return []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s %s\nENGINE = ReplacingMergeTree(version, is_deleted)\nORDER BY (%s)",
			l.Q(t.Storage()), body, key)}
	}
	local := t.Storage() + "_local"
	return []string{
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s%s %s\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/%s', '{replica}', version, is_deleted)\nORDER BY (%s)",
			l.Q(local), l.onCluster(), body, local, key),
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s%s AS %s\nENGINE = Distributed(%s, %s, %s, cityHash64(%s))",
			l.Q(t.Storage()), l.onCluster(), l.Q(local), quoteSQL(l.Cluster), quoteSQL(l.Database), quoteSQL(local), key),
	}
}

// currentView returns the view that shows a table's current, non-deleted state.
func (l Layout) currentView(t *Table) string {
	var cols []string
	for _, c := range columnsOf(t) {
		if c.Name == "version" || c.Name == "is_deleted" || (t.Canonical && c.Name == "generation") {
			continue
		}
		cols = append(cols, c.Name)
	}
	where := "is_deleted = 0"
	if t.Canonical {
		where += fmt.Sprintf(" AND (tenant, source, generation) IN (SELECT g.tenant, g.source, g.generation FROM %s AS g FINAL)", l.Q(SourceGenerations.Storage()))
	}
	if t == WorkItems {
		return l.workItemsView(l.liveName(t), cols, where)
	}
	if t == People {
		for i, c := range cols {
			if c == "canonical_id" {
				cols[i] = "multiIf(canonical_id != '', canonical_id, email != '', concat('email:', lower(email)), person_id) AS canonical_id"
			}
		}
	}
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s%s AS\nSELECT %s\nFROM %s FINAL\nWHERE %s",
		l.Q(l.liveName(t)), l.onCluster(), strings.Join(cols, ", "), l.Q(t.Storage()), where)
}

// workItemsView resolves project_id through project_members: a member row from another
// source (a portfolio register) that names the item's scope (a Jira project, a repository,
// a sheet) puts the item in that portfolio project; otherwise the mapped project_id stands.
// The member table is small, so it is read once per query into a constant lookup keyed by
// a hash of (tenant, item source, scope): far cheaper per row than a join or a dictionary.
func (l Layout) workItemsView(name string, cols []string, where string) string {
	var sel []string
	for _, c := range cols {
		if c == "project_id" {
			sel = append(sel, "coalesce(nullIf(transform(cityHash64(w.tenant, w.source, w.scope), register.1, register.2, ''), ''), w.project_id) AS project_id")
			continue
		}
		sel = append(sel, "w."+c+" AS "+c)
	}
	lookup := fmt.Sprintf(`(SELECT (groupArray(k), groupArray(p)) FROM (
    SELECT cityHash64(m.tenant, s.source, concat(m.member_kind, ':', m.member_ref)) AS k, min(m.project_id) AS p
    FROM %s AS m
    INNER JOIN (SELECT DISTINCT tenant, source FROM %s) AS s ON s.tenant = m.tenant
    WHERE m.source != s.source
    GROUP BY k))`, l.Q(ProjectMembers.Name), l.Q(SourceGenerations.Storage()))
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s%s AS\nWITH %s AS register\nSELECT %s\nFROM %s AS w FINAL\nWHERE %s",
		l.Q(name), l.onCluster(), lookup, strings.Join(sel, ", "), l.Q(WorkItems.Storage()), where)
}

func quoteSQL(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// QuoteString quotes s as a ClickHouse string literal.
func QuoteString(s string) string { return quoteSQL(s) }
