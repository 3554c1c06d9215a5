package tabular

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pmohub/pmohub/connectors"
)

// MappingCheckRows is how many rows of a table are shown to the mapping to find the
// columns it requires: entities are told apart by where: conditions, which for the
// built-in mappings only read the table's configuration (the same in every row).
const MappingCheckRows = 20

// MappingError is a table that lacks columns its mapping requires. Its rows are not
// written (they would map with those fields empty) and the stored rows are kept.
type MappingError struct {
	Table   TableRef
	Missing []connectors.MissingColumn
}

func (e *MappingError) Error() string {
	parts := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		parts[i] = m.String()
	}
	return fmt.Sprintf("%s: %s not in the header (renamed or removed? fix the sheet or the mapping)", e.Table, strings.Join(parts, "; "))
}

// CheckMapping shows up to MappingCheckRows payloads of a table to the source's mapping
// and returns a *MappingError naming the required columns the table lacks; nil when none
// is missing or there is no mapping to check.
func CheckMapping(m connectors.MappingChecker, stream string, ref TableRef, payloads [][]byte) error {
	if m == nil {
		return nil
	}
	var missing []connectors.MissingColumn
	seen := map[connectors.MissingColumn]bool{}
	for _, p := range payloads[:min(len(payloads), MappingCheckRows)] {
		for _, mc := range m.MissingColumns(stream, p) {
			if !seen[mc] {
				seen[mc] = true
				missing = append(missing, mc)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &MappingError{Table: ref, Missing: missing}
}

// MappingSignature identifies the columns a mapping requires of stream and the types it
// reads columns as: a connector keeps it in its cursor and reads unchanged tables again
// when it changes.
func MappingSignature(m connectors.MappingChecker, stream string) string {
	if m == nil {
		return ""
	}
	cols := m.RequiredColumns(stream)
	types := MappingTypes(m, stream)
	if len(cols) == 0 && len(types) == 0 {
		return ""
	}
	for _, t := range slices.Sorted(maps.Keys(types)) {
		cols = append(cols, "type:"+Normalize(t)+"="+string(types[t]))
	}
	h := fnv.New64a()
	h.Write([]byte(strings.Join(cols, "\x1f")))
	return strconv.FormatUint(h.Sum64(), 36)
}

// MappingTypes is the mapping's column types (connectors.MappingChecker.ColumnTypes) as
// column types for Options.MappingTypes: number, date, time (a date-time) and bool.
func MappingTypes(m connectors.MappingChecker, stream string) map[string]Type {
	if m == nil {
		return nil
	}
	var out map[string]Type
	for title, name := range m.ColumnTypes(stream) {
		var t Type
		switch name {
		case "number":
			t = TypeNumber
		case "date":
			t = TypeDate
		case "time":
			t = TypeDateTime
		case "bool":
			t = TypeBool
		default:
			continue
		}
		if out == nil {
			out = map[string]Type{}
		}
		out[title] = t
	}
	return out
}
