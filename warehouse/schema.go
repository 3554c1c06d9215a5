package warehouse

// The portfolio model: the analysts' contract. Each entity is stored in a versioned table
// (<name>_versions, ReplacingMergeTree(version, is_deleted)) and read through a view of the
// entity's own name that returns the current, non-deleted state: one row per key. The
// column docs here are the source of the schema reference in warehouse/SCHEMA.md.

// Column is one column of a table.
type Column struct {
	Name string
	Type string // ClickHouse type
	Doc  string
}

// Table is one stored entity.
type Table struct {
	Name string // the analysts' view; storage is Name + "_versions"
	Doc  string
	// Key is the sorting key after (tenant, source, generation): one current row per key.
	Key     []string
	Columns []Column // entity columns, without the common ones below
	// Canonical tables are produced by mappings and carry generation and raw_ref.
	Canonical bool
}

// Storage is the versioned table behind the view.
func (t *Table) Storage() string { return t.Name + "_versions" }

// Common columns every canonical table carries, in this order, before its own columns.
var CanonicalHead = []Column{
	{"tenant", "LowCardinality(String)", "The client organisation (tenant) the row belongs to; `default` unless configured."},
	{"source", "LowCardinality(String)", "The configured source name that produced the row."},
	{"generation", "UInt32", "The mapping generation that produced the row (storage only; the views show the active one)."},
}

// CanonicalTail are the bookkeeping columns after a canonical table's own columns.
var CanonicalTail = []Column{
	{"raw_ref", "String", "The raw record this row was derived from: `<stream>/<native_id>`."},
	{"version", "UInt64", "Source change order of the raw record (storage only)."},
	{"is_deleted", "UInt8", "Tombstone flag (storage only)."},
	{"synced_at", "DateTime64(3, 'UTC')", "When pmohub wrote this row."},
}

const (
	tTime  = "Nullable(DateTime64(3, 'UTC'))"
	tDate  = "Nullable(Date32)"
	tLC    = "LowCardinality(String)"
	tStr   = "String"
	tFloat = "Nullable(Float64)"
	tList  = "Array(String)"
	tMap   = "Map(String, String)"
)

// Canonical entities, in the order the mapping engine knows them.
var (
	WorkItems = &Table{
		Name: "work_items", Canonical: true, Key: []string{"item_id"},
		Doc: "Every piece of work from every tool: issues, pull requests, milestones, sheet and Smartsheet rows.",
		Columns: []Column{
			{"item_id", tStr, "`<source>:<native_id>`, unique across the portfolio."},
			{"source_kind", tLC, "`jira`, `github`, `sheets` or `smartsheet`."},
			{"native_id", tStr, "The source's stable id."},
			{"key", tStr, "The human key: `ALPHA-12`, `acme/web#42`, a key column's value."},
			{"url", tStr, "Link to the item in its tool."},
			{"scope", tStr, "The source container the item lives in, as `<member_kind>:<member_ref>` (`jira_project:ALPHA`); joins project_members."},
			{"project_id", tStr, "The portfolio project: from project_members when a register names the item's scope, else as mapped."},
			{"title", tStr, "Summary or title."},
			{"item_type", tStr, "The type as the source names it."},
			{"type_category", tLC, "`epic`, `feature`, `story`, `task`, `subtask`, `bug`, `incident`, `pull_request`, `milestone`, `risk` or `other`."},
			{"status", tStr, "The status as the source names it."},
			{"status_category", tLC, "`todo`, `in_progress`, `done` or `cancelled`."},
			{"priority", tStr, "Priority as the source names it."},
			{"assignee_id", tStr, "person_id of the assignee (see people)."},
			{"reporter_id", tStr, "person_id of the reporter or author."},
			{"parent_id", tStr, "item_id of the parent (epic, phase, milestone)."},
			{"labels", tList, "Labels, tags or components."},
			{"sprint", tStr, "Current sprint or iteration name."},
			{"estimate", tFloat, "Story points or other estimate; NULL when not estimated."},
			{"created_at", tTime, "Created (UTC, millisecond precision)."},
			{"updated_at", tTime, "Last updated in the source."},
			{"started_at", tTime, "When work started (first entry into in_progress unless the mapping says otherwise)."},
			{"resolved_at", tTime, "When the item was resolved (done or cancelled)."},
			{"due_date", tDate, "Due date."},
			{"start_date", tDate, "Planned start date."},
			{"attributes", tMap, "Extra mapped fields, by name."},
		},
	}
	Projects = &Table{
		Name: "projects", Canonical: true, Key: []string{"project_id"},
		Doc: "Portfolio projects, from a register (Sheets, Smartsheet) or from the tools' own projects.",
		Columns: []Column{
			{"project_id", tStr, "`<source>:<native_id>` or the register's project id."},
			{"source_kind", tLC, "Kind of the source that defines the project."},
			{"native_id", tStr, "The source's id."},
			{"key", tStr, "Human key (register id, Jira project key)."},
			{"name", tStr, "Project name."},
			{"url", tStr, "Link to the project in its tool."},
			{"programme", tStr, "Programme or portfolio grouping."},
			{"owner_id", tStr, "person_id or name of the owner."},
			{"status", tStr, "Status as the source names it (e.g. the register's human-set status)."},
			{"health", tLC, "Human-set health: `green`, `amber`, `red` or empty."},
			{"start_date", tDate, "Planned start."},
			{"target_date", tDate, "Target finish."},
			{"percent_complete", tFloat, "% complete as the source reports it (0–100)."},
			{"attributes", tMap, "Extra mapped fields."},
		},
	}
	ProjectMembers = &Table{
		Name: "project_members", Canonical: true, Key: []string{"project_id", "member_kind", "member_ref"},
		Doc: "Which source scopes roll up into which portfolio project.",
		Columns: []Column{
			{"project_id", tStr, "The portfolio project."},
			{"member_kind", tLC, "`jira_project`, `github_repo`, `smartsheet_sheet`, `sheet_tab`, …"},
			{"member_ref", tStr, "The scope's reference: Jira project key, `owner/repo`, sheet id, `spreadsheet/tab`."},
		},
	}
	Transitions = &Table{
		Name: "transitions", Canonical: true, Key: []string{"item_id", "transition_id"},
		Doc: "Every status change of a work item; categories come through the same mapping as work_items.",
		Columns: []Column{
			{"item_id", tStr, "The work item."},
			{"transition_id", tStr, "The source's id for the change (changelog id, event id, snapshot version)."},
			{"at", "DateTime64(3, 'UTC')", "When the change happened."},
			{"field", tLC, "The field that changed (`status`)."},
			{"from_value", tStr, "Value before."},
			{"to_value", tStr, "Value after."},
			{"from_category", tLC, "status_category before."},
			{"to_category", tLC, "status_category after."},
			{"to_class", tLC, "Flow class of the status after, for flow efficiency: `active` or `waiting`, as the mapping declares per workflow; empty: the class of to_category (in_progress active, todo waiting)."},
			{"author_id", tStr, "person_id of who made the change."},
		},
	}
	People = &Table{
		Name: "people", Canonical: true, Key: []string{"person_id"},
		Doc: "People, one row per identity in a tool; `canonical_id` matches identities across tools (an alias from the mapping's identities, else the e-mail).",
		Columns: []Column{
			{"person_id", tStr, "`<source>:<native id>` (Jira account id, GitHub login, e-mail for sheets)."},
			{"source_kind", tLC, "Kind of the source."},
			{"native_id", tStr, "The identity in its tool."},
			{"display_name", tStr, "Name."},
			{"email", tStr, "E-mail where the tool exposes it."},
			{"canonical_id", tStr, "The person across tools: the canonical name of a mapping identity alias, else `email:<address>` when the e-mail is known, else `person_id`."},
		},
	}
	Links = &Table{
		Name: "links", Canonical: true, Key: []string{"from_id", "kind", "to_id"},
		Doc: "Relations between work items, within and across tools.",
		Columns: []Column{
			{"from_id", tStr, "item_id the link starts from."},
			{"to_id", tStr, "item_id (or a reference such as a Jira key) the link points to."},
			{"kind", tLC, "`parent`, `references`, `blocks`, `implements`, `milestone`, …"},
			{"origin", tLC, "`explicit` (a link in the tool), `mention` (a key found in text), `mapping`."},
		},
	}
)

// Canonical lists the canonical entities.
var Canonical = []*Table{WorkItems, Projects, ProjectMembers, Transitions, People, Links}

// TableByName finds a canonical entity.
func TableByName(name string) *Table {
	for _, t := range Canonical {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// AllColumns returns the storage columns of a canonical table in order.
func (t *Table) AllColumns() []Column {
	cols := append([]Column{}, CanonicalHead...)
	cols = append(cols, t.Columns...)
	return append(cols, CanonicalTail...)
}

// ColumnIndex returns the position of a storage column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.AllColumns() {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Go value types of a Row, by ClickHouse column type. Mappings produce them; backends
// encode them.
//
//	String, LowCardinality(String)    string
//	DateTime64(3, 'UTC')              time.Time
//	Nullable(DateTime64(3, 'UTC'))    *time.Time (nil is NULL)
//	Nullable(Date32)                  *time.Time at UTC midnight (nil is NULL)
//	Nullable(Float64)                 *float64 (nil is NULL)
//	Array(String)                     []string (nil is an empty array)
//	Map(String, String)               map[string]string (nil is an empty map)
//	UInt8, UInt32, UInt64             uint8, uint32, uint64
//	Bool                              bool
type Row []any
