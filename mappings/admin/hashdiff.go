package admin

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/pmohub/pmohub/warehouse"
)

// On the embedded backend the current rows come as their keys and a hash of their
// RowBinary (xxHash64 of formatRow, maps sorted as the diff encodes them), not as the
// rows: a preview of 100,000 issues then reads some 10 MB instead of 40 and holds a
// uint64 per row. A mapped row whose encoding hashes the same is unchanged; one that
// differs is changed. Only the rows the preview shows (the first changes per table) and
// rows with no exact encoding are read whole, by key, when the mapping is done. The
// hashes are stored with the rows (warehouse/rowhash.go).

// hashedRow is a changed row whose old values are read afterwards.
type hashedRow struct {
	row     mappedRow
	example int // index of its change in the table's examples; -1: to be decided
}

// loadHashes reads the keys and row hashes of t's current rows into *into (a new map made
// at their count when they are read as hashes).
func (s *Service) loadHashes(ctx context.Context, t *warehouse.Table, source string, gen uint32, into *map[string]oldRow) error {
	rb := rbTables()[t]
	keyIdx := keyIndexes(t)
	// The key comes joined as mapped rows join theirs (texts joined by NUL), one string
	// per row: keys are texts in every canonical table.
	keys := make([]string, len(keyIdx))
	for i, k := range keyIdx {
		if rb[k] != (rbCol{Kind: warehouse.RowBinaryString}) {
			return s.loadCurrent(ctx, t, source, gen, *into, true, "")
		}
		keys[i] = "`" + t.Columns[k].Name + "`"
	}
	hash, err := s.rowHash(ctx, t)
	if err != nil {
		return err
	}
	q := fmt.Sprintf("SELECT concat(%s), %s FROM %s FINAL WHERE tenant = %s AND source = %s AND generation = %d AND is_deleted = 0",
		strings.Join(keys, ", '\\0', "), hash, s.wh.Layout().Q(t.Storage()), warehouse.Lit(s.wh.Tenant()), warehouse.Lit(source), gen)
	// The answer (some 30 bytes a row) is kept and read once the query is done: reading it
	// into the map as it streams held the engine, and the preview's raw reads, for as long.
	var data []byte
	err = s.wh.QueryRows(ctx, q, "RowBinary", func(piece []byte) []byte {
		data = append(data, piece...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading current %s of %s: %w", t.Name, source, err)
	}
	// Rows are counted first, so that the map is made at its size instead of growing
	// (300,000 rows grew it 16 times); keys are views of data, which nothing writes again:
	// one allocation, not one per row.
	n := 0
	for rest := data; len(rest) > 0; n++ {
		l, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < l+8 {
			return fmt.Errorf("reading current %s of %s: %w", t.Name, source, warehouse.ErrTruncated)
		}
		rest = rest[k+int(l)+8:]
	}
	m := make(map[string]oldRow, n)
	for len(data) > 0 {
		l, k := binary.Uvarint(data)
		key := data[k : k+int(l)]
		m[unsafe.String(unsafe.SliceData(key), len(key))] = oldRow{hash: binary.LittleEndian.Uint64(data[k+int(l):]), hashed: true}
		data = data[k+int(l)+8:]
	}
	*into = m
	return nil
}

// rowHash is what loadHashes reads as t's row hash: the stored row_hash, or its
// expression when the column is missing or of another definition.
func (s *Service) rowHash(ctx context.Context, t *warehouse.Table) (string, error) {
	s.hashMu.Lock()
	defer s.hashMu.Unlock()
	stored, ok := s.hashStored[t]
	if !ok {
		var err error
		if stored, err = s.wh.RowHashStored(ctx, t); err != nil {
			return "", err
		}
		if s.hashStored == nil {
			s.hashStored = map[*warehouse.Table]bool{}
		}
		s.hashStored[t] = stored
	}
	if stored {
		return "row_hash", nil
	}
	return warehouse.RowHashExpr(t), nil
}

// addHashed compares a mapped row with a current row known by its hash.
func (d *differ) addHashed(st *TableDiff, old oldRow, r mappedRow) {
	t := r.row.Table
	if r.enc == nil { // no exact encoding: compared as text once the old row is read
		d.later[t] = append(d.later[t], hashedRow{row: r, example: -1})
		return
	}
	if xxhash.Sum64(r.enc) == old.hash {
		st.Unchanged++
		return
	}
	st.Changed++
	if len(st.Examples) < d.limit {
		st.Examples = append(st.Examples, RowChange{Change: "changed", Key: strings.ReplaceAll(r.row.Key, "\x00", " | ")})
		d.later[t] = append(d.later[t], hashedRow{row: r, example: len(st.Examples) - 1})
	}
}

// settleHashed reads the old rows of the changes shown and of the rows with no exact
// encoding, and completes their comparison.
func (s *Service) settleHashed(ctx context.Context, d *differ) error {
	for _, t := range warehouse.Canonical {
		later := d.later[t]
		if len(later) == 0 {
			continue
		}
		keys := make([]string, len(later))
		for i, h := range later {
			keys[i] = h.row.row.Key
		}
		old, err := s.currentRowsByKey(ctx, t, d.source, d.gen, keys)
		if err != nil {
			return err
		}
		st := d.stats[t]
		for _, h := range later {
			o, ok := old[h.row.row.Key]
			if !ok {
				return fmt.Errorf("current %s row %q vanished during the preview", t.Name, h.row.row.Key)
			}
			if h.example >= 0 {
				changes, err := diffColumns(t, o.raw, h.row, true)
				if err != nil {
					return fmt.Errorf("current %s row %q: %w", t.Name, h.row.row.Key, err)
				}
				st.Examples[h.example].Changes = changes
				continue
			}
			if err := d.compareText(st, o, h.row); err != nil {
				return err
			}
		}
	}
	return nil
}

// currentRowsByKey reads whole current rows of t by key, in batches under ClickHouse's
// query size limit.
func (s *Service) currentRowsByKey(ctx context.Context, t *warehouse.Table, source string, gen uint32, keys []string) (map[string]oldRow, error) {
	out := make(map[string]oldRow, len(keys))
	names := make([]string, len(t.Key))
	for i, k := range t.Key {
		names[i] = "`" + k + "`"
	}
	const maxListBytes = 128 << 10
	var list strings.Builder
	flush := func() error {
		if list.Len() == 0 {
			return nil
		}
		where := fmt.Sprintf("(%s) IN (%s)", strings.Join(names, ", "), list.String())
		list.Reset()
		return s.loadCurrent(ctx, t, source, gen, out, true, where)
	}
	for _, k := range keys {
		parts := strings.Split(k, "\x00")
		for i, p := range parts {
			parts[i] = warehouse.Lit(p)
		}
		if list.Len() > 0 {
			list.WriteString(", ")
		}
		list.WriteString("(" + strings.Join(parts, ", ") + ")")
		if list.Len() > maxListBytes {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	return out, flush()
}
