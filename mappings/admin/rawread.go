package admin

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/pmohub/pmohub/warehouse"
)

// Validate, preview and apply's check read every stored record of a stream.
// Warehouse.RawRecords pages with `FINAL … ORDER BY native_id LIMIT n` after the last id,
// and chDB reads, deduplicates and sorts every remaining payload for each page: five
// pages of 100,000 Jira issues cost about five full reads. Here the page bounds come
// first from the ids alone (no payloads), each page reads only its key range, which the
// primary key (…, stream, native_id) prunes, and is sorted here: about one full read
// in all (measured: 2.5–3.2 CPU-s down to about 1). Records come in RawRecords' order.

// rawPage is how many records one page holds at most (as Warehouse.RawRecords).
const rawPage = 20_000

// storedRecords calls fn for the live records of a stream in native_id order.
func storedRecords(ctx context.Context, wh *warehouse.Warehouse, source, stream string, fn func(warehouse.StoredRaw) error) error {
	if wh.Backend().Kind() != "embedded" {
		return wh.RawRecords(ctx, source, stream, nil, fn) // no RowBinary from a server
	}
	from := fmt.Sprintf("FROM %s FINAL WHERE tenant = %s AND source = %s AND stream = %s AND is_deleted = 0",
		wh.Layout().Q(warehouse.RawRecords.Storage()), warehouse.Lit(wh.Tenant()), warehouse.Lit(source), warehouse.Lit(stream))
	// Every rawPage-th id ends a page; the last page is open-ended.
	data, err := wh.Query(ctx, fmt.Sprintf("SELECT native_id FROM (SELECT native_id, row_number() OVER (ORDER BY native_id) AS n %s) WHERE n %% %d = 0 ORDER BY native_id", from, rawPage), "RowBinary")
	if err != nil {
		return fmt.Errorf("paging stored records of %s/%s: %w", source, stream, err)
	}
	var bounds []string
	for len(data) > 0 {
		var id string
		var ok bool
		if id, data, ok = readString(data); !ok {
			return fmt.Errorf("paging stored records of %s/%s: %w", source, stream, errRowBinary)
		}
		bounds = append(bounds, id)
	}
	for i := 0; i <= len(bounds); i++ {
		q := "SELECT native_id, version, payload " + from
		if i > 0 {
			q += " AND native_id > " + warehouse.Lit(bounds[i-1])
		}
		if i < len(bounds) {
			q += " AND native_id <= " + warehouse.Lit(bounds[i])
		}
		// Sorted here, not by chDB: ORDER BY moved every payload (a third of the read).
		data, err := wh.Query(ctx, q, "RowBinary")
		if err != nil {
			return fmt.Errorf("reading stored records of %s/%s: %w", source, stream, err)
		}
		recs := make([]warehouse.StoredRaw, 0, rawPage)
		for len(data) > 0 {
			var r warehouse.StoredRaw
			var ok bool
			if r.NativeID, data, ok = readString(data); !ok || len(data) < 8 {
				return fmt.Errorf("reading stored records of %s/%s: %w", source, stream, errRowBinary)
			}
			r.Version, data = binary.LittleEndian.Uint64(data), data[8:]
			n, w := binary.Uvarint(data)
			if w <= 0 || uint64(len(data)-w) < n {
				return fmt.Errorf("reading stored records of %s/%s: %w", source, stream, errRowBinary)
			}
			// The payload shares the page's buffer (ours, never written) instead of a copy.
			r.Payload, data = json.RawMessage(data[w:w+int(n):w+int(n)]), data[w+int(n):]
			r.Text = unsafe.String(unsafe.SliceData(r.Payload), len(r.Payload))
			recs = append(recs, r)
		}
		slices.SortFunc(recs, func(a, b warehouse.StoredRaw) int { return strings.Compare(a.NativeID, b.NativeID) })
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}
