package mappings

// The mapping file format as Go types. The loader (decode.go) and the JSON Schema
// (schema.go) are both derived from these declarations: `yaml` names the key, `doc` says
// what it means to an admin. Every struct embeds Meta, which records where it was written.

// Mapping is one parsed mapping file (possibly merged over the kind's default).
type Mapping struct {
	Meta       `yaml:"-"`
	Version    int                `yaml:"version" doc:"Format version; 1."`
	Extends    string             `yaml:"extends" doc:"'default' starts from the source kind's built-in mapping; entities and fields named here replace the built-in ones, one by one (null removes one)." enum:"default"`
	Entities   map[string]*Entity `yaml:"entities" doc:"Entity blocks by name; the name is the canonical entity (work_items, projects, project_members, transitions, people, links) unless 'table' says otherwise."`
	Identities *Identities        `yaml:"identities" doc:"How people named differently in different tools are matched to one person."`
}

// Identities matches people across tools.
type Identities struct {
	Meta    `yaml:"-"`
	Aliases []*Alias `yaml:"aliases" doc:"One person's other names: person ids (source:native id) or emails that are the canonical one."`
}

// Alias names one person's canonical identity and the other names it goes by.
type Alias struct {
	Meta      `yaml:"-"`
	Canonical string  `yaml:"canonical" doc:"The identity the others resolve to (an email or a person id)." required:"true"`
	Also      Strings `yaml:"also" doc:"Person ids (acme-gh:ana) or emails that are the same person; matched case-insensitively." required:"true"`
}

// Entity is one block producing rows of a canonical entity.
type Entity struct {
	Meta   `yaml:"-"`
	Table  string       `yaml:"table" doc:"The canonical entity this block produces; defaults to the block's name. Lets several blocks fill one entity (people from assignees and from reporters)." enum:"work_items,projects,project_members,transitions,people,links"`
	Stream string       `yaml:"stream" doc:"The raw stream the block reads (issues, rows, pulls, ...)."`
	Each   Strings      `yaml:"each" doc:"One row per element: a path with [*] at every level iterated (changelog.histories[*].items[*]); a path without [*] gives one row when present. A list of paths gives the rows of all of them."`
	Where  []*Condition `yaml:"where" doc:"Conditions a record (or each element) must all meet to produce a row."`
	Shared *bool        `yaml:"shared" doc:"Rows are upserted only, never deleted when a record stops producing them (default true for people)."`
	// ExactHistory is asked of the connector, not computed here: Smartsheet reads a
	// column's cell history only where a mapping (or the source's config) asks for it.
	ExactHistory Strings           `yaml:"exact_history" doc:"Column titles whose exact change history the connector should read rather than derive from snapshots (Smartsheet: the status column's cell history, ten requests' worth of quota per changed row)."`
	Fields       map[string]*Field `yaml:"fields" doc:"Canonical fields by name; attributes.<name> fills a key of the attributes map."`
	Name         string            `yaml:"-"`
}

// Field says where one canonical field comes from and how it is converted.
type Field struct {
	Meta            `yaml:"-"`
	Path            Strings           `yaml:"path" doc:"JSON path into the payload (fields.status.name, a[0].b, [\"odd key\"], @.x and @0.x inside each); a list takes the first present, non-empty one."`
	Column          Strings           `yaml:"column" doc:"Column title of a tabular record (cells), matched case-insensitively and trimmed; a list takes the first existing column."`
	From            string            `yaml:"from" doc:"Another field of the same row, after it is computed."`
	Value           *string           `yaml:"value" doc:"A constant."`
	Expr            *string           `yaml:"expr" doc:"A CEL expression, type-checked at load: variables payload, each, levels, row (computed fields), source, now; toTime(x) reads a time. See mappings/README.md."`
	Columns         *string           `yaml:"columns" doc:"rest: the cells of a tabular record that no field, placeholder, condition or expression of the block reads, as an object by title (for attributes)." enum:"rest"`
	Template        *string           `yaml:"template" doc:"Text with placeholders: {source} {source.url} {source_kind} {tenant} {native_id} {stream} {<field>} {path:a.b} {column:Title}; {{ and }} are literal braces."`
	Lookup          *Lookup           `yaml:"lookup" doc:"A value from a record of another stream of the same source."`
	FirstTransition *TransitionMatch  `yaml:"first_transition" doc:"(work_items) the time of the earliest transition of the same record that matches."`
	LastTransition  *TransitionMatch  `yaml:"last_transition" doc:"(work_items) the time of the latest transition of the same record that matches."`
	Type            string            `yaml:"type" doc:"How to read the value; defaults to the column's own type." enum:"string,number,time,date,bool,list,map"`
	Elem            string            `yaml:"elem" doc:"With type list: the key taken from each object of the list (name)."`
	Values          map[string]string `yaml:"values" doc:"Value map applied after conversion: exact match first, then case-insensitive. A value it does not map becomes the default (or empty, counted as a problem)."`
	Scoped          []*ValueScope     `yaml:"scoped" doc:"Value maps for some records only (a project, an issue type, a tab whose workflow differs): the first scope whose condition holds is tried before values."`
	Default         *string           `yaml:"default" doc:"Used when the value is empty or not in the value map."`
	Fallback        *Field            `yaml:"fallback" doc:"Another source, used when the field's own source gives nothing; the field's type, values and default apply to it."`
	Trim            *bool             `yaml:"trim" doc:"Trim surrounding spaces (default true for column, false otherwise)."`
	AllowPartial    bool              `yaml:"allow_partial" doc:"A template keeps its text when a placeholder is empty (default: the whole template is empty)."`
	Name            string            `yaml:"-"`
}

// ValueScope is a value map that applies where its condition holds.
type ValueScope struct {
	Meta   `yaml:"-"`
	When   *Condition        `yaml:"when" doc:"The condition, as in where: {path|column|from|expr: ..., equals|in|not_equals|present|matches: ...}." required:"true"`
	Values map[string]string `yaml:"values" doc:"The value map for these records, tried before the field's own values." required:"true"`
}

// Lookup reads a value from another stream: the record whose Key equals By.
type Lookup struct {
	Meta   `yaml:"-"`
	Stream string `yaml:"stream" doc:"The stream to look in; its records are loaded once per run." required:"true"`
	Key    string `yaml:"key" doc:"Path of the key in the looked-up records; defaults to the record's native id."`
	Path   string `yaml:"path" doc:"Path of the value to read from the found record." required:"true"`
	By     *Field `yaml:"by" doc:"The value to look up, from this row: {path: ...}, {column: ...}, {from: ...}, {template: ...}." required:"true"`
}

// TransitionMatch selects transitions of the same record; all given criteria must hold.
type TransitionMatch struct {
	Meta       `yaml:"-"`
	ToCategory Strings    `yaml:"to_category" doc:"to_category is one of these."`
	ToValue    Strings    `yaml:"to_value" doc:"to_value (the status) is one of these, case-insensitively."`
	Field      string     `yaml:"field" doc:"Only transitions of this field (status)."`
	When       *Condition `yaml:"when" doc:"Only for records where this condition holds (a workflow: {path: fields.project.key, equals: OPS}); for others the source gives nothing, so a fallback applies."`
}

// Condition is one test of a where list: a source and one comparison.
type Condition struct {
	Meta      `yaml:"-"`
	Path      Strings  `yaml:"path" doc:"JSON path, as for fields."`
	Column    Strings  `yaml:"column" doc:"Column title, as for fields."`
	From      string   `yaml:"from" doc:"A field of the row being produced."`
	Expr      *string  `yaml:"expr" doc:"A CEL expression giving true or false (variables as for fields; row is not available); replaces the comparison."`
	Equals    *string  `yaml:"equals" doc:"The value equals this text."`
	NotEquals *string  `yaml:"not_equals" doc:"The value differs from this text."`
	In        []string `yaml:"in" doc:"The value is one of these."`
	Present   *bool    `yaml:"present" doc:"true: the value is present and not empty; false: it is absent or empty."`
	Matches   *string  `yaml:"matches" doc:"The value matches this regular expression (RE2 syntax)."`
}

// Strings is one text or a list of texts.
type Strings []string

// Meta records where a block was written and which keys it set.
type Meta struct {
	Pos  Pos
	Keys map[string]Pos // the keys written in the file, with their positions
}

// has reports whether the file set key.
func (m *Meta) has(key string) bool { _, ok := m.Keys[key]; return ok }

// at is the position of key, or of the block when the key was not written.
func (m *Meta) at(key string) Pos {
	if p, ok := m.Keys[key]; ok {
		return p
	}
	return m.Pos
}

type metaHolder interface{ meta() *Meta }

func (m *Meta) meta() *Meta { return m }
