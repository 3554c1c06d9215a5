package warehouse

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// RawRecord is one record of the raw layer.
type RawRecord struct {
	Source    string
	Stream    string
	NativeID  string
	Version   uint64
	ChangedAt *time.Time
	Payload   []byte
	Deleted   bool
	FetchedAt time.Time
}

// WriteRaw appends raw records (and tombstones) to the raw layer.
func (w *Warehouse) WriteRaw(ctx context.Context, recs []RawRecord) error {
	rows := make([]Row, len(recs))
	for i, r := range recs {
		var del uint8
		if r.Deleted {
			del = 1
		}
		// The payload is shared, not copied: rows live only for this insert, payloads
		// are never changed after fetching, and copying them was most of a big sync's
		// memory traffic.
		payload := unsafe.String(unsafe.SliceData(r.Payload), len(r.Payload))
		rows[i] = Row{w.tenant, r.Source, r.Stream, r.NativeID, payload, r.ChangedAt, r.FetchedAt, r.Version, del}
	}
	return w.Insert(ctx, RawRecords, rows)
}

// RawIDs returns the live native ids of a stream with their versions.
func (w *Warehouse) RawIDs(ctx context.Context, source, stream string) (map[string]uint64, error) {
	var rows []struct {
		ID      string `json:"native_id"`
		Version uint64 `json:"version"`
	}
	q := fmt.Sprintf("SELECT native_id, version FROM %s FINAL WHERE %s AND stream = %s AND is_deleted = 0",
		w.layout.Q(RawRecords.Storage()), w.scope(source), quoteSQL(stream))
	if w.b.Kind() == "embedded" {
		// RowBinary: every incremental sync of a large Jira site reads all its ids, and
		// decoding them from JSON cost a third of an unchanged sync.
		data, err := w.b.Query(ctx, q, "RowBinary")
		if err != nil {
			return nil, fmt.Errorf("reading stored ids of %s/%s: %w", source, stream, err)
		}
		out := map[string]uint64{}
		for len(data) > 0 {
			id, rest, ok := ReadRowBinaryString(data)
			if !ok || len(rest) < 8 {
				return nil, fmt.Errorf("reading stored ids of %s/%s: truncated RowBinary", source, stream)
			}
			out[id], data = binary.LittleEndian.Uint64(rest), rest[8:]
		}
		return out, nil
	}
	if err := w.QueryInto(ctx, q, &rows); err != nil {
		return nil, fmt.Errorf("reading stored ids of %s/%s: %w", source, stream, err)
	}
	out := make(map[string]uint64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Version
	}
	return out, nil
}

// HasRaw reports whether the raw layer holds anything (live or tombstone) for a stream.
func (w *Warehouse) HasRaw(ctx context.Context, source, stream string) (bool, error) {
	q := fmt.Sprintf("SELECT 1 FROM %s WHERE %s AND stream = %s LIMIT 1",
		w.layout.Q(RawRecords.Storage()), w.scope(source), quoteSQL(stream))
	out, err := w.b.Query(ctx, q, "TabSeparated")
	if err != nil {
		return false, fmt.Errorf("checking stored records of %s/%s: %w", source, stream, err)
	}
	return len(out) > 0, nil
}

// StoredRaw is a live raw record as stored.
type StoredRaw struct {
	NativeID string          `json:"native_id"`
	Version  uint64          `json:"version"`
	Payload  json.RawMessage `json:"-"`
	Text     string          `json:"payload"`
}

// RawRecords calls fn for the live records of a stream (all, or only ids), in pages so
// memory stays flat. Pages come as RowBinary: payloads are JSON text, and reading them
// back through a text format would escape and unescape every byte.
func (w *Warehouse) RawRecords(ctx context.Context, source, stream string, ids []string, fn func(StoredRaw) error) error {
	const page = 20000
	base := fmt.Sprintf("SELECT native_id, version, payload FROM %s FINAL WHERE %s AND stream = %s AND is_deleted = 0",
		w.layout.Q(RawRecords.Storage()), w.scope(source), quoteSQL(stream))
	// emit passes one page to fn and returns its size and last id.
	emit := func(q string) (int, string, error) {
		if w.b.Kind() != "embedded" {
			return w.rawRecordsJSON(ctx, q, source, stream, fn)
		}
		recs, err := w.rawPage(ctx, q, source, stream)
		if err != nil {
			return 0, "", err
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return 0, "", err
			}
		}
		if len(recs) == 0 {
			return 0, "", nil
		}
		return len(recs), recs[len(recs)-1].NativeID, nil
	}
	if ids != nil {
		// Pages are bounded by bytes as well as ids: ClickHouse refuses a query text over
		// max_query_size (256 KiB), which 20,000 long ids exceed.
		const maxListBytes = 192 << 10
		var list strings.Builder
		n := 0
		send := func() error {
			if n == 0 {
				return nil
			}
			_, _, err := emit(base + " AND native_id IN (" + list.String() + ")")
			list.Reset()
			n = 0
			return err
		}
		for _, id := range ids {
			lit := quoteSQL(id)
			if n > 0 && (n == page || list.Len()+len(lit)+1 > maxListBytes) {
				if err := send(); err != nil {
					return err
				}
			}
			if n > 0 {
				list.WriteByte(',')
			}
			list.WriteString(lit)
			n++
		}
		return send()
	}
	if w.b.Kind() != "embedded" {
		after := ""
		for {
			q := base
			if after != "" {
				q += " AND native_id > " + quoteSQL(after)
			}
			n, last, err := emit(q + fmt.Sprintf(" ORDER BY native_id LIMIT %d", page))
			if err != nil || n < page {
				return err
			}
			after = last
		}
	}
	return w.rawRecordsByRange(ctx, fmt.Sprintf("%s AND stream = %s", w.scope(source), quoteSQL(stream)), source, stream, page, fn)
}

// rawRecordsByRange reads every live record of a stream in native_id order, page by page.
// Paging with `ORDER BY native_id LIMIT n` after the last id makes chDB read, deduplicate
// and sort every remaining payload for each page (five pages of 100k Jira issues cost
// about five full reads). Instead the page bounds come first, from the ids alone; each
// page reads only its key range, which the primary key (…, stream, native_id) prunes, and
// is sorted here without moving payloads: about one full read in all.
//
// The next page is read while fn takes this one, and the first page is a quarter of the
// others: whoever maps the records (on every core) waits for the engine only at the start,
// and not for long. A 100,000-issue preview had its cores idle for a fifth of its time.
func (w *Warehouse) rawRecordsByRange(ctx context.Context, where, source, stream string, page int, fn func(StoredRaw) error) error {
	table := w.layout.Q(RawRecords.Storage())
	step := max(page/4, 1)
	// Any bounds cover the whole stream (the last page is open-ended): they come from every
	// stored row, without FINAL, and only size the pages.
	data, err := w.b.Query(ctx, fmt.Sprintf("SELECT native_id FROM (SELECT native_id, row_number() OVER (ORDER BY native_id) AS n FROM %s WHERE %s) WHERE n %% %d = 0 ORDER BY native_id", table, where, step), "RowBinary")
	if err != nil {
		return fmt.Errorf("paging stored records of %s/%s: %w", source, stream, err)
	}
	var bounds []string
	for i := 0; len(data) > 0; i++ {
		var id string
		var ok bool
		if id, data, ok = ReadRowBinaryString(data); !ok {
			return fmt.Errorf("paging stored records of %s/%s: truncated RowBinary", source, stream)
		}
		if i == 0 || i%4 == 0 { // a short first page, then whole ones
			bounds = append(bounds, id)
		}
	}
	type read struct {
		recs []StoredRaw
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan read) // one page read ahead, while fn takes the last
	go func() {
		defer close(pages)
		for i := 0; i <= len(bounds); i++ {
			rng := ""
			if i > 0 {
				rng += " AND native_id > " + quoteSQL(bounds[i-1])
			}
			if i < len(bounds) {
				rng += " AND native_id <= " + quoteSQL(bounds[i])
			}
			recs, err := w.rawPageLatest(ctx, table, where+rng, source, stream)
			select {
			case pages <- read{recs, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		for _, r := range p.recs {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// RawChunks reads the live records of a stream as RawRecords does and hands them to send
// in chunks of up to size records, for work spread over cores (mappings.InOrder).
func (w *Warehouse) RawChunks(ctx context.Context, source, stream string, size int, send func([]StoredRaw) error) error {
	chunk := make([]StoredRaw, 0, size)
	err := w.RawRecords(ctx, source, stream, nil, func(sr StoredRaw) error {
		if chunk = append(chunk, sr); len(chunk) < size {
			return nil
		}
		err := send(chunk)
		chunk = make([]StoredRaw, 0, size)
		return err
	})
	if err != nil || len(chunk) == 0 {
		return err
	}
	return send(chunk)
}

// rawPageLatest reads the live records of table where holds, sorted by native_id. It
// reads the rows without FINAL and keeps the newest version of each record, or none when
// that is a tombstone, as FINAL would: merging in ClickHouse cost a third of the read.
// Two rows of one record with the same version (FINAL keeps the one inserted last, which
// the rows do not tell) make it read the page with FINAL instead.
func (w *Warehouse) rawPageLatest(ctx context.Context, table, where, source, stream string) ([]StoredRaw, error) {
	plain := fmt.Sprintf("SELECT native_id, version, payload, is_deleted FROM %s WHERE %s", table, where)
	final := fmt.Sprintf("SELECT native_id, version, payload FROM %s FINAL WHERE %s AND is_deleted = 0", table, where)
	var recs []StoredRaw
	var deleted []bool
	if err := w.QueryRows(ctx, plain, "RowBinary", func(data []byte) []byte { return parseRawRows(data, &recs, &deleted) }); err != nil {
		return nil, fmt.Errorf("reading stored records of %s/%s: %w", source, stream, err)
	}
	order := make([]int32, len(recs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(recs[a].NativeID, recs[b].NativeID); c != 0 {
			return c
		}
		return cmp.Compare(recs[a].Version, recs[b].Version)
	})
	out := make([]StoredRaw, 0, len(recs))
	for i, j := range order {
		if i+1 < len(order) && recs[order[i+1]].NativeID == recs[j].NativeID {
			if recs[order[i+1]].Version == recs[j].Version {
				recs, err := w.rawPage(ctx, final, source, stream) // a tie: as ClickHouse decides
				if err == nil {
					slices.SortFunc(recs, func(a, b StoredRaw) int { return strings.Compare(a.NativeID, b.NativeID) })
				}
				return recs, err
			}
			continue // an older version
		}
		if !deleted[j] {
			out = append(out, recs[j])
		}
	}
	return out, nil
}

// rawPage runs q (native_id, version, payload) on the embedded engine and reads its
// RowBinary answer. Payloads share the answer's buffers (never written again), not copies.
// The answer comes piece by piece (QueryStream): one buffer doubled up to a page's size
// cost a page fault per fresh 4 KiB, some 80,000 for 100,000 Jira issues.
func (w *Warehouse) rawPage(ctx context.Context, q, source, stream string) ([]StoredRaw, error) {
	var recs []StoredRaw
	if err := w.QueryRows(ctx, q, "RowBinary", func(data []byte) []byte { return parseRaw(data, &recs) }); err != nil {
		return nil, fmt.Errorf("reading stored records of %s/%s: %w", source, stream, err)
	}
	return recs, nil
}

// parseRaw appends the complete rows (native_id, version, payload) of data to recs and
// returns what is left: the start of a row that did not fit.
func parseRaw(data []byte, recs *[]StoredRaw) []byte { return parseRawRows(data, recs, nil) }

// parseRawRows is parseRaw for rows that end with is_deleted too, when deleted is not nil.
func parseRawRows(data []byte, recs *[]StoredRaw, deleted *[]bool) []byte {
	for len(data) > 0 {
		var r StoredRaw
		id, rest, ok := ReadRowBinaryString(data)
		if !ok || len(rest) < 8 {
			return data
		}
		version := binary.LittleEndian.Uint64(rest)
		rest = rest[8:]
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return data
		}
		r.NativeID, r.Version = id, version
		r.Payload, rest = json.RawMessage(rest[k:k+int(n):k+int(n)]), rest[k+int(n):]
		if deleted != nil {
			if len(rest) < 1 {
				return data
			}
			*deleted = append(*deleted, rest[0] != 0)
			rest = rest[1:]
		}
		data = rest
		r.Text = unsafe.String(unsafe.SliceData(r.Payload), len(r.Payload))
		*recs = append(*recs, r)
	}
	return nil
}

// ReadRowBinaryString reads one RowBinary String.
func ReadRowBinaryString(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", b, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

// rawRecordsJSON is emit for backends that render results themselves (the server backend
// does not produce RowBinary).
func (w *Warehouse) rawRecordsJSON(ctx context.Context, q, source, stream string, fn func(StoredRaw) error) (int, string, error) {
	var rows []StoredRaw
	if err := w.QueryInto(ctx, q, &rows); err != nil {
		return 0, "", fmt.Errorf("reading stored records of %s/%s: %w", source, stream, err)
	}
	last := ""
	for _, r := range rows {
		r.Payload = json.RawMessage(r.Text)
		if err := fn(r); err != nil {
			return 0, "", err
		}
		last = r.NativeID
	}
	return len(rows), last, nil
}
