package admin

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// Most rows of a preview are unchanged (a mapping edit touches a field or two), so the
// diff compares bytes first: a current row is kept as its RowBinary (a slice of the
// query's answer, not decoded), a mapped row is encoded the same way on the mapping
// cores, and equal bytes are an unchanged row. Only rows whose bytes differ (or that
// cannot be encoded) are decoded and compared as text, as before; equal bytes decode to
// equal text, so the counts are those of comparing every row as text.

// oldRow is a current row: the hash of its RowBinary (embedded backend, hashdiff.go),
// its RowBinary, or its values as text.
type oldRow struct {
	raw    []byte
	vals   []string
	hash   uint64
	hashed bool
	seen   bool // a mapped row had its key
}

// mappedRow is a mapped row with its RowBinary, nil when a value has no exact encoding.
type mappedRow struct {
	row  mappings.Row
	enc  []byte
	vals []string // as text, once needed
}

func (m *mappedRow) text() []string {
	if m.vals == nil {
		m.vals = formatRow(m.row)
	}
	return m.vals
}

// rbTables plans the RowBinary of every canonical table (nil: a type it does not read).
var rbTables = sync.OnceValue(func() map[*warehouse.Table][]rbCol {
	out := map[*warehouse.Table][]rbCol{}
	for _, t := range warehouse.Canonical {
		if rb, ok := rbColumns(t.Columns); ok {
			out[t] = rb
		}
	}
	return out
})

// prepare encodes a mapped row for the diff (on the mapping cores), appending its bytes to
// *arena: one buffer per chunk of records, not one per row.
func prepare(r mappings.Row, arena *[]byte) mappedRow {
	m := mappedRow{row: r}
	if rb := rbTables()[r.Table]; rb != nil {
		start := len(*arena)
		if enc, ok := encodeRow(*arena, rb, r.Values); ok {
			m.enc = enc[start:len(enc):len(enc)]
			*arena = enc
		}
	}
	return m
}

// encodeRow appends values as chDB gives them in RowBinary; false when a value's type
// is not exactly the column's (bool for UInt8, NaN, a zero time…): such rows are
// compared as text.
func encodeRow(buf []byte, cols []rbCol, values []any) ([]byte, bool) {
	if len(values) != len(cols) {
		return nil, false
	}
	for i, c := range cols {
		v := values[i]
		if c.Nullable {
			if v == nil || v == (*time.Time)(nil) || v == (*float64)(nil) {
				buf = append(buf, 1)
				continue
			}
			buf = append(buf, 0)
		}
		var ok bool
		if buf, ok = encodeValue(buf, c.Kind, v); !ok {
			return nil, false
		}
	}
	return buf, true
}

func encodeValue(buf []byte, k warehouse.RowBinaryKind, v any) ([]byte, bool) {
	str := func(b []byte, s string) []byte { return append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	switch k {
	case warehouse.RowBinaryString:
		s, ok := v.(string)
		return str(buf, s), ok
	case warehouse.RowBinaryDateTime64, warehouse.RowBinaryDate32:
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case *time.Time:
			if x == nil {
				return buf, false
			}
			t = *x
		default:
			return buf, false
		}
		if t.IsZero() || t.Nanosecond()%1e6 != 0 {
			return buf, false // text keeps what bytes would drop
		}
		if k == warehouse.RowBinaryDate32 {
			return binary.LittleEndian.AppendUint32(buf, uint32(int32(math.Floor(float64(t.Unix())/86400)))), true
		}
		return binary.LittleEndian.AppendUint64(buf, uint64(t.UnixMilli())), true
	case warehouse.RowBinaryFloat64:
		x, ok := v.(*float64)
		if !ok || x == nil || math.IsNaN(*x) || math.IsInf(*x, 0) {
			return buf, false
		}
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(*x)), true
	case warehouse.RowBinaryArrayString:
		l, ok := v.([]string)
		if !ok {
			return buf, false
		}
		buf = binary.AppendUvarint(buf, uint64(len(l)))
		for _, s := range l {
			buf = str(buf, s)
		}
		return buf, true
	case warehouse.RowBinaryMapString:
		m, ok := v.(map[string]string)
		if !ok {
			return buf, false
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys) // stored maps in another order only cost a text comparison
		buf = binary.AppendUvarint(buf, uint64(len(m)))
		for _, k := range keys {
			buf = str(str(buf, k), m[k])
		}
		return buf, true
	case warehouse.RowBinaryUInt8, warehouse.RowBinaryBool:
		x, ok := v.(uint8)
		return append(buf, x), ok
	case warehouse.RowBinaryUInt32:
		x, ok := v.(uint32)
		return binary.LittleEndian.AppendUint32(buf, x), ok
	case warehouse.RowBinaryUInt64:
		x, ok := v.(uint64)
		return binary.LittleEndian.AppendUint64(buf, x), ok
	}
	return buf, false
}

// differ compares produced rows with the rows of the source's active generation.
type differ struct {
	have   map[*warehouse.Table]map[string]oldRow
	added  map[*warehouse.Table]map[string]bool // keys of mapped rows not in have
	stats  map[*warehouse.Table]*TableDiff
	later  map[*warehouse.Table][]hashedRow // compared once their old rows are read
	limit  int
	source string
	gen    uint32
}

func (s *Service) newDiffer(ctx context.Context, source string, limit int) (*differ, error) {
	d := &differ{have: map[*warehouse.Table]map[string]oldRow{}, added: map[*warehouse.Table]map[string]bool{}, stats: map[*warehouse.Table]*TableDiff{},
		later: map[*warehouse.Table][]hashedRow{}, limit: limit, source: source}
	g, ok, err := s.wh.ActiveGeneration(ctx, source)
	if err != nil {
		return nil, err
	}
	d.gen = g.Generation
	embedded := s.wh.Backend().Kind() == "embedded"
	for _, t := range warehouse.Canonical {
		d.have[t] = map[string]oldRow{}
		d.added[t] = map[string]bool{}
		d.stats[t] = &TableDiff{Table: t.Name}
		if !ok {
			continue
		}
		if embedded && rbTables()[t] != nil {
			m := d.have[t]
			err = s.loadHashes(ctx, t, source, g.Generation, &m)
			d.have[t] = m
		} else {
			err = s.loadCurrent(ctx, t, source, g.Generation, d.have[t], embedded, "")
		}
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// loadCurrent reads the rows the mapping in force produced (the storage of the active
// generation, not the views: work_items' view re-targets project_id through registers),
// all or those where holds. With rowBinary (the embedded backend) it reads RowBinary and
// keeps each row's bytes, else JSON.
func (s *Service) loadCurrent(ctx context.Context, t *warehouse.Table, source string, gen uint32, into map[string]oldRow, rowBinary bool, where string) error {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = "`" + c.Name + "`"
	}
	q := fmt.Sprintf("SELECT %s FROM %s FINAL WHERE tenant = %s AND source = %s AND generation = %d AND is_deleted = 0",
		strings.Join(cols, ", "), s.wh.Layout().Q(t.Storage()), warehouse.Lit(s.wh.Tenant()), warehouse.Lit(source), gen)
	if where != "" {
		q += " AND " + where
	}
	keyIdx := keyIndexes(t)
	if rb := rbTables()[t]; rb != nil && rowBinary {
		err := s.wh.QueryRows(ctx, q, "RowBinary", func(data []byte) []byte {
			return splitRowBinary(data, t, rb, keyIdx, func(key string, raw []byte) { into[key] = oldRow{raw: raw} })
		})
		if err != nil {
			return fmt.Errorf("reading current %s of %s: %w", t.Name, source, err)
		}
		return nil
	}
	var rows []map[string]any
	if err := s.wh.QueryInto(ctx, q, &rows); err != nil {
		return fmt.Errorf("reading current %s of %s: %w", t.Name, source, err)
	}
	for _, r := range rows {
		vals := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			vals[i] = formatStored(c.Type, r[c.Name])
		}
		into[joinKey(vals, keyIdx)] = oldRow{vals: vals}
	}
	return nil
}

// splitRowBinary calls fn with each row's key (its key columns as text, joined) and bytes;
// only the key columns are decoded. It returns the start of a row data cuts short.
func splitRowBinary(data []byte, t *warehouse.Table, cols []rbCol, keyIdx []int, fn func(key string, raw []byte)) []byte {
	isKey := make([]bool, len(cols))
	for _, k := range keyIdx {
		isKey[k] = true
	}
	vals := make([]string, len(cols))
	for len(data) > 0 {
		row := data
		for i, c := range cols {
			val, rest, ok := splitValue(data, c)
			if !ok {
				return row
			}
			data = rest
			if !isKey[i] {
				continue
			}
			if c.Nullable {
				if val[0] == 1 {
					vals[i] = ""
					continue
				}
				val = val[1:]
			}
			v, _, ok := rbValue(val, c.Kind)
			if !ok {
				return row
			}
			vals[i] = formatValue(t.Columns[i].Type, v)
		}
		raw := row[:len(row)-len(data)]
		fn(joinKey(vals, keyIdx), raw[:len(raw):len(raw)])
	}
	return nil
}

// skipValue passes over one value without decoding it.
func skipValue(b []byte, k warehouse.RowBinaryKind) ([]byte, bool) {
	fixed := func(n int) ([]byte, bool) { return b[min(n, len(b)):], len(b) >= n }
	str := func(b []byte) ([]byte, bool) {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return b, false
		}
		return b[w+int(n):], true
	}
	switch k {
	case warehouse.RowBinaryString:
		return str(b)
	case warehouse.RowBinaryDateTime64, warehouse.RowBinaryFloat64, warehouse.RowBinaryUInt64:
		return fixed(8)
	case warehouse.RowBinaryDate32, warehouse.RowBinaryUInt32:
		return fixed(4)
	case warehouse.RowBinaryUInt8, warehouse.RowBinaryBool:
		return fixed(1)
	case warehouse.RowBinaryArrayString, warehouse.RowBinaryMapString:
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)) {
			return b, false
		}
		if k == warehouse.RowBinaryMapString {
			n *= 2
		}
		b = b[w:]
		for range n {
			var ok bool
			if b, ok = str(b); !ok {
				return b, false
			}
		}
		return b, true
	}
	return b, false
}

// text gives a current row's values as text.
func (o oldRow) text(t *warehouse.Table) ([]string, error) {
	if o.raw == nil {
		return o.vals, nil
	}
	vals := make([]string, len(t.Columns))
	err := decodeRowBinary(o.raw, rbTables()[t], func(row []any) {
		for i, c := range t.Columns {
			vals[i] = formatValue(c.Type, row[i])
		}
	})
	return vals, err
}

func (d *differ) add(r mappedRow, p *Preview, limit int) error {
	t := r.row.Table
	old, ok := d.have[t][r.row.Key]
	if ok && old.seen || !ok && d.added[t][r.row.Key] {
		return nil // the same row from another record (a shared person)
	}
	if ok {
		old.seen = true
		d.have[t][r.row.Key] = old
	} else {
		d.added[t][r.row.Key] = true
	}
	if len(p.Rows[t.Name]) < limit {
		vals := r.text()
		m := make(map[string]string, len(vals))
		for i, c := range t.Columns {
			if vals[i] != "" {
				m[c.Name] = vals[i]
			}
		}
		p.Rows[t.Name] = append(p.Rows[t.Name], m)
	}
	st := d.stats[t]
	if !ok {
		st.Added++
		if len(st.Examples) < limit {
			st.Examples = append(st.Examples, RowChange{Change: "added", Key: strings.ReplaceAll(r.row.Key, "\x00", " | ")})
		}
		return nil
	}
	if old.hashed {
		d.addHashed(st, old, r)
		return nil
	}
	if old.raw != nil && r.enc != nil && bytes.Equal(old.raw, r.enc) {
		st.Unchanged++
		return nil
	}
	if old.raw == nil || r.enc == nil {
		return d.compareText(st, old, r)
	}
	changes, err := diffColumns(t, old.raw, r, len(st.Examples) < limit)
	if err != nil {
		return fmt.Errorf("current %s row %q: %w", t.Name, r.row.Key, err)
	}
	d.count(st, r, changes)
	return nil
}

// compareText compares a row as text (a value with no exact encoding, or JSON rows).
func (d *differ) compareText(st *TableDiff, old oldRow, r mappedRow) error {
	t := r.row.Table
	before, err := old.text(t)
	if err != nil {
		return fmt.Errorf("current %s row %q: %w", t.Name, r.row.Key, err)
	}
	vals := r.text()
	var changes []FieldChange
	for i, c := range t.Columns {
		if before[i] != vals[i] {
			changes = append(changes, FieldChange{Field: c.Name, Before: before[i], After: vals[i]})
		}
	}
	d.count(st, r, changes)
	return nil
}

// count counts a compared row, and shows it while the examples have room.
func (d *differ) count(st *TableDiff, r mappedRow, changes []FieldChange) {
	if len(changes) == 0 {
		st.Unchanged++
		return
	}
	st.Changed++
	if len(st.Examples) < d.limit {
		st.Examples = append(st.Examples, RowChange{Change: "changed", Key: strings.ReplaceAll(r.row.Key, "\x00", " | "), Changes: changes})
	}
}

func (d *differ) finish() []TableDiff {
	var out []TableDiff
	for _, t := range warehouse.Canonical {
		st := d.stats[t]
		removed := make([]string, 0, len(d.have[t]))
		for k, o := range d.have[t] {
			if !o.seen {
				removed = append(removed, k)
			}
		}
		sort.Strings(removed)
		st.Removed = len(removed)
		for _, k := range removed[:min(len(removed), d.limit)] {
			st.Examples = append(st.Examples, RowChange{Change: "removed", Key: strings.ReplaceAll(k, "\x00", " | ")})
		}
		if st.Added+st.Removed+st.Changed+st.Unchanged > 0 {
			out = append(out, *st)
		}
	}
	return out
}

// diffColumns compares a current row's bytes with a mapped row's column by column: only
// columns whose bytes differ are decoded and compared as text. Unless all, it stops at
// the first change (enough to count the row).
func diffColumns(t *warehouse.Table, old []byte, r mappedRow, all bool) ([]FieldChange, error) {
	cols := rbTables()[t]
	enc := r.enc
	var out []FieldChange
	for i, c := range cols {
		ov, orest, ok := splitValue(old, c)
		if !ok {
			return nil, errRowBinary
		}
		nv, nrest, ok := splitValue(enc, c)
		if !ok {
			return nil, errRowBinary
		}
		old, enc = orest, nrest
		if bytes.Equal(ov, nv) {
			continue
		}
		before := ""
		if !c.Nullable || ov[0] == 0 {
			if c.Nullable {
				ov = ov[1:]
			}
			v, _, ok := rbValue(ov, c.Kind)
			if !ok {
				return nil, errRowBinary
			}
			before = formatValue(t.Columns[i].Type, v)
		}
		after := formatMapped(t.Columns[i].Type, r.row.Values[i])
		if before == after {
			continue
		}
		out = append(out, FieldChange{Field: t.Columns[i].Name, Before: before, After: after})
		if !all {
			break
		}
	}
	return out, nil
}

// splitValue cuts one column's bytes (its NULL flag included) off a row.
func splitValue(b []byte, c rbCol) (val, rest []byte, ok bool) {
	rest = b
	if c.Nullable {
		if len(b) < 1 {
			return nil, b, false
		}
		if rest = b[1:]; b[0] == 1 {
			return b[:1], rest, true
		}
	}
	if rest, ok = skipValue(rest, c.Kind); !ok {
		return nil, b, false
	}
	return b[:len(b)-len(rest)], rest, true
}
