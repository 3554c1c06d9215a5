package sheets

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/pmohub/pmohub/connectors/tabular"
)

// Config is the kind-specific part of a sheets source in pmohub.yaml.
type Config struct {
	Spreadsheets []SpreadsheetConfig `yaml:"spreadsheets"`
	// RequestsPerMinute paces reads (Google's per-user quota is 60 a minute).
	RequestsPerMinute int `yaml:"requests_per_minute"`
	// PageSize is how many records go into one emitted page.
	PageSize int `yaml:"page_size"`
}

// SpreadsheetConfig is one spreadsheet and the tabs to read from it.
type SpreadsheetConfig struct {
	ID   string      `yaml:"id"`
	Tabs []TabConfig `yaml:"tabs"`
}

// TabConfig says how to read one tab.
type TabConfig struct {
	Tab string `yaml:"tab"`
	// Entity is what the rows are in the portfolio: projects (a register) or work_items.
	Entity string `yaml:"entity"`
	// Key is the column that identifies a row across syncs.
	Key string `yaml:"key"`
	// HeaderRow is the sheet row number of the header (default: the first row read).
	HeaderRow int `yaml:"header_row"`
	// Range narrows the read, in A1 notation without the tab ("A1:F500", "B:K").
	Range string `yaml:"range"`
	// StatusColumn is the column whose changes become transitions (default "Status"
	// when the tab has one).
	StatusColumn string `yaml:"status_column"`
	// Types fixes column types by title (text, number, percent, currency, date,
	// datetime, bool); other columns are inferred.
	Types map[string]string `yaml:"types"`
}

var entities = map[string]bool{"projects": true, "work_items": true, "people": true}

func (c *Config) validate() error {
	if len(c.Spreadsheets) == 0 {
		return fmt.Errorf("no spreadsheets configured")
	}
	seen := map[string]bool{}
	for i, s := range c.Spreadsheets {
		if strings.TrimSpace(s.ID) == "" {
			return fmt.Errorf("spreadsheets[%d]: id is required", i)
		}
		if seen[s.ID] {
			return fmt.Errorf("spreadsheet %s is configured twice", s.ID)
		}
		seen[s.ID] = true
		if len(s.Tabs) == 0 {
			return fmt.Errorf("spreadsheet %s: no tabs configured", s.ID)
		}
		tabs := map[string]bool{}
		for j, t := range s.Tabs {
			where := fmt.Sprintf("spreadsheet %s tab %q", s.ID, t.Tab)
			if strings.TrimSpace(t.Tab) == "" {
				return fmt.Errorf("spreadsheet %s tabs[%d]: tab is required", s.ID, j)
			}
			if tabs[t.Tab] {
				return fmt.Errorf("%s is configured twice", where)
			}
			tabs[t.Tab] = true
			if strings.TrimSpace(t.Key) == "" {
				return fmt.Errorf("%s: key is required (the column that identifies a row)", where)
			}
			if t.Entity == "" {
				t.Entity = "work_items"
			}
			if !entities[t.Entity] {
				return fmt.Errorf("%s: entity %q is not one of projects, work_items, people", where, t.Entity)
			}
			if t.HeaderRow < 0 {
				return fmt.Errorf("%s: header_row must be 1 or more", where)
			}
			if t.Range != "" {
				if strings.Contains(t.Range, "!") {
					return fmt.Errorf("%s: range %q must not name the tab", where, t.Range)
				}
				if _, _, err := rangeStart(t.Range); err != nil {
					return fmt.Errorf("%s: range %q: %w", where, t.Range, err)
				}
			}
			for col, ty := range t.Types {
				if _, err := tabular.ParseType(ty); err != nil {
					return fmt.Errorf("%s: types[%q]: %w", where, col, err)
				}
			}
			s.Tabs[j] = t
		}
	}
	return nil
}

// fingerprint identifies everything that changes how a tab is read.
func (t TabConfig) fingerprint() string {
	b, _ := json.Marshal(t) // map keys are sorted: stable
	h := fnv.New64a()
	h.Write(b)
	return strconv.FormatUint(h.Sum64(), 16)
}

func (t TabConfig) fixedTypes() map[string]tabular.Type {
	if len(t.Types) == 0 {
		return nil
	}
	out := make(map[string]tabular.Type, len(t.Types))
	for col, ty := range t.Types {
		out[col], _ = tabular.ParseType(ty) // validated on load
	}
	return out
}

// rangeStart reads the 1-based first row and 0-based first column of an A1 range
// ("B3:K" → 3, 1; "A:F" → 1, 0; "2:40" → 2, 0).
func rangeStart(r string) (row, col int, err error) {
	from, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(r)), ":")
	i := 0
	c := 0
	for i < len(from) && from[i] >= 'A' && from[i] <= 'Z' {
		c = c*26 + int(from[i]-'A') + 1
		i++
	}
	if c > 0 {
		col = c - 1
	}
	row = 1
	if i < len(from) {
		n := 0
		for _, ch := range from[i:] {
			if ch < '0' || ch > '9' {
				return 0, 0, fmt.Errorf("not A1 notation")
			}
			n = n*10 + int(ch-'0')
			if n > 10_000_000 {
				return 0, 0, fmt.Errorf("row out of range")
			}
		}
		if n < 1 {
			return 0, 0, fmt.Errorf("rows start at 1")
		}
		row = n
	}
	if i == 0 && row == 1 && from == "" {
		return 0, 0, fmt.Errorf("empty range")
	}
	return row, col, nil
}
