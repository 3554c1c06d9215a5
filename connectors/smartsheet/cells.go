package smartsheet

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
)

// Contact is a person named in a contact cell.
type Contact struct {
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// Predecessor is one dependency of a row, typed from a PREDECESSOR cell.
type Predecessor struct {
	RowID   int64   `json:"row_id"`
	Type    string  `json:"type"`
	LagDays float64 `json:"lag_days,omitempty"`
}

// cellIssue is something about one cell a user should know; it never fails a sync.
type cellIssue struct {
	kind   string
	detail string
}

const (
	issueNoEmail   = "contact_without_email"
	issueTruncated = "cell_at_length_limit"
	issueMismatch  = "type_mismatch"
)

// maxCellChars is Smartsheet's cell limit: longer values arrive cut.
const maxCellChars = 4000

// Hours in a working day and days in a working week, Smartsheet's project defaults.
const (
	workHoursPerDay = 8
	workDaysPerWeek = 5
)

// decodeCell types a cell by its column: numbers as numbers, dates as ISO 8601 text,
// checkboxes as booleans, contacts as {email, name}, multi-values as lists, durations as
// working days, predecessors as a list of {row_id, type, lag_days}. A value that does not
// fit its column is kept as text and reported.
func decodeCell(col *Column, c *Cell) (any, []cellIssue) { return decodeCellWith(col, c, nil) }

// objectCache keeps parsed objectValues by their JSON: a plan repeats the same contacts,
// tags and durations on thousands of rows. Its values are shared: never modified.
type objectCache map[string]*ObjectValue

const objectCacheMax = 4096

func (oc objectCache) parse(b []byte) *ObjectValue {
	if oc == nil || len(b) == 0 || b[0] != '{' {
		return parseObjectValue(b)
	}
	if ov, ok := oc[string(b)]; ok {
		return ov
	}
	ov := parseObjectValue(b)
	if len(oc) < objectCacheMax {
		oc[string(b)] = ov
	}
	return ov
}

func decodeCellWith(col *Column, c *Cell, oc objectCache) (any, []cellIssue) {
	var issues []cellIssue
	ov := oc.parse(c.ObjectValue)
	raw := rawScalar(c.Value)
	if s, ok := raw.(string); ok && utf8.RuneCountInString(s) >= maxCellChars {
		issues = append(issues, cellIssue{issueTruncated, "the value reaches Smartsheet's 4,000-character cell limit; its end may be cut"})
	}
	if raw == nil && ov == nil && c.DisplayValue == "" {
		return nil, issues
	}
	typ := col.Type
	switch col.SystemColumnType {
	case "CREATED_DATE", "MODIFIED_DATE":
		typ = "DATETIME"
	case "CREATED_BY", "MODIFIED_BY":
		typ = "CONTACT_LIST"
	case "AUTO_NUMBER":
		return text(raw, c.DisplayValue), issues
	}
	if ov != nil {
		switch ov.ObjectType {
		case "DURATION":
			return durationDays(ov), issues
		case "PREDECESSOR_LIST":
			return predecessors(ov), issues
		}
	}
	switch typ {
	case "TEXT_NUMBER":
		if hasTag(col, "GANTT_DURATION") {
			if d, ok := parseDuration(text(raw, c.DisplayValue)); ok {
				return d, issues
			}
		}
		if f, ok := raw.(float64); ok {
			if strings.HasSuffix(strings.TrimSpace(c.DisplayValue), "%") {
				return roundPercent(f * 100), issues // shown as 50%: stored 0.5
			}
			return f, issues
		}
		return text(raw, c.DisplayValue), issues
	case "PICKLIST":
		return text(raw, c.DisplayValue), issues
	case "CHECKBOX":
		switch v := raw.(type) {
		case bool:
			return v, issues
		case string:
			if b, err := strconv.ParseBool(v); err == nil {
				return b, issues
			}
		}
	case "DATE":
		if s, ok := raw.(string); ok {
			if t, err := time.Parse("2006-01-02", s); err == nil {
				return t.Format("2006-01-02"), issues
			}
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				return t.UTC().Format("2006-01-02"), issues
			}
		}
	case "DATETIME":
		if s, ok := raw.(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				return t.UTC().Format(time.RFC3339), issues
			}
		}
	case "ABSTRACT_DATETIME":
		// A wall-clock date-time without zone (project sheet start/finish): a date when it
		// is midnight, which is how plans use it.
		if s, ok := raw.(string); ok {
			for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02", time.RFC3339} {
				if t, err := time.Parse(layout, s); err == nil {
					if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
						return t.Format("2006-01-02"), issues
					}
					return t.Format("2006-01-02T15:04:05"), issues
				}
			}
		}
	case "CONTACT_LIST":
		ct := contactOf(ov, raw, c.DisplayValue)
		if ct.Email == "" {
			issues = append(issues, cellIssue{issueNoEmail, "contact " + strconv.Quote(ct.Name) + " has no e-mail: it is kept as a name and does not become a person"})
		}
		return ct, issues
	case "MULTI_CONTACT_LIST":
		var out []Contact
		if ov != nil && ov.ObjectType == "MULTI_CONTACT" {
			for _, v := range ov.Values {
				if sub := oc.parse(v); sub != nil {
					out = append(out, Contact{Email: sub.Email, Name: sub.Name})
				}
			}
		} else {
			for _, name := range splitDisplay(text(raw, c.DisplayValue)) {
				out = append(out, Contact{Name: name})
			}
		}
		for _, ct := range out {
			if ct.Email == "" {
				issues = append(issues, cellIssue{issueNoEmail, "contact " + strconv.Quote(ct.Name) + " has no e-mail: it is kept as a name and does not become a person"})
			}
		}
		return out, issues
	case "MULTI_PICKLIST":
		out := []string{}
		if ov != nil && ov.ObjectType == "MULTI_PICKLIST" {
			for _, v := range ov.Values {
				out = append(out, text(rawScalar(v), ""))
			}
			return out, issues
		}
		return append(out, splitDisplay(text(raw, c.DisplayValue))...), issues
	case "DURATION":
		if d, ok := parseDuration(text(raw, c.DisplayValue)); ok {
			return d, issues
		}
	case "PREDECESSOR":
		// Without objectValue only row numbers are known; keep the text.
		return text(raw, c.DisplayValue), issues
	default:
		return text(raw, c.DisplayValue), issues
	}
	v := text(raw, c.DisplayValue)
	return v, append(issues, cellIssue{issueMismatch, "kept as text: " + strconv.Quote(truncateText(v, 60)) + " is not a " + typ})
}

// rawScalar decodes a JSON scalar: string, float64, bool or nil. It avoids a decoder per
// cell: a 10,000-row sheet has hundreds of thousands of them.
func rawScalar(b []byte) any {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case 'n':
		if string(b) == "null" {
			return nil
		}
	case 't', 'f':
		if string(b) == "true" || string(b) == "false" {
			return b[0] == 't'
		}
	case '"':
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && utf8.Valid(b) {
			return string(b[1 : len(b)-1])
		}
		var s string
		if json.Unmarshal(b, &s) == nil {
			return s
		}
	default:
		if f, err := strconv.ParseFloat(string(b), 64); err == nil {
			return f
		}
	}
	return string(b)
}

func parseObjectValue(b []byte) *ObjectValue {
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	var ov ObjectValue
	if jsonv2.Unmarshal(b, &ov, lenient) != nil {
		return nil
	}
	return &ov
}

func text(raw any, display string) string {
	switch v := raw.(type) {
	case string:
		return v
	case float64:
		if display != "" {
			return display
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return display
}

func contactOf(ov *ObjectValue, raw any, display string) Contact {
	if ov != nil && ov.ObjectType == "CONTACT" {
		return Contact{Email: ov.Email, Name: ov.Name}
	}
	v := text(raw, display)
	if strings.Contains(v, "@") && !strings.ContainsAny(v, " ,") {
		name := display
		if name == v {
			name = ""
		}
		return Contact{Email: v, Name: name}
	}
	return Contact{Name: v}
}

func splitDisplay(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func hasTag(col *Column, tag string) bool {
	for _, t := range col.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

func durationDays(ov *ObjectValue) float64 {
	d := ov.Weeks*workDaysPerWeek + ov.Days + ov.Hours/workHoursPerDay +
		ov.Minutes/(60*workHoursPerDay) + (ov.Seconds+ov.Milliseconds/1000)/(3600*workHoursPerDay)
	if ov.Negative {
		d = -d
	}
	return roundTo(d, 6)
}

// parseDuration reads "5d", "1w 2d", "4h", "~3d" (elapsed) into working days.
func parseDuration(s string) (float64, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "~"))
	if s == "" {
		return 0, false
	}
	units := map[string]float64{"w": workDaysPerWeek, "d": 1, "h": 1.0 / workHoursPerDay, "m": 1.0 / (60 * workHoursPerDay), "s": 1.0 / (3600 * workHoursPerDay), "ms": 1.0 / (3_600_000 * workHoursPerDay)}
	total, found := 0.0, false
	for _, f := range strings.Fields(s) {
		i := strings.IndexFunc(f, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' && r != '+' })
		if i <= 0 {
			return 0, false
		}
		n, err := strconv.ParseFloat(f[:i], 64)
		u, ok := units[strings.ToLower(f[i:])]
		if err != nil || !ok {
			return 0, false
		}
		total += n * u
		found = true
	}
	return roundTo(total, 6), found
}

func predecessors(ov *ObjectValue) []Predecessor {
	out := make([]Predecessor, 0, len(ov.Predecessors))
	for _, d := range ov.Predecessors {
		p := Predecessor{RowID: d.RowID, Type: d.Type}
		if d.Lag != nil {
			p.LagDays = durationDays(d.Lag)
		}
		out = append(out, p)
	}
	return out
}

func roundPercent(f float64) float64 { return roundTo(f, 9) }

func roundTo(f float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(f*p) / p
}

func truncateText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
