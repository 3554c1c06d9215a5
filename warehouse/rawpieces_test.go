package warehouse

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// A streamed answer may cut a row anywhere: what parseRaw (or parseRawRows, with the
// is_deleted column) leaves is carried into the next piece, and every row comes out once,
// whole.
func TestParseRawAcrossPieces(t *testing.T) {
	for _, withDeleted := range []bool{false, true} {
		var data []byte
		for i := range 3 {
			id, payload := fmt.Sprintf("id-%d", i), fmt.Sprintf(`{"n":%d,"text":"%0200d"}`, i, i)
			data = binary.AppendUvarint(data, uint64(len(id)))
			data = append(data, id...)
			data = binary.LittleEndian.AppendUint64(data, uint64(100+i))
			data = binary.AppendUvarint(data, uint64(len(payload)))
			data = append(data, payload...)
			if withDeleted {
				data = append(data, byte(i%2))
			}
		}
		parse := func(data []byte, recs *[]StoredRaw, deleted *[]bool) []byte {
			if withDeleted {
				return parseRawRows(data, recs, deleted)
			}
			return parseRaw(data, recs)
		}
		for cut := 0; cut <= len(data); cut++ {
			var recs []StoredRaw
			var deleted []bool
			carry := parse(append([]byte(nil), data[:cut]...), &recs, &deleted)
			next := append(append([]byte(nil), carry...), data[cut:]...)
			if rest := parse(next, &recs, &deleted); len(rest) != 0 {
				t.Fatalf("cut %d: %d bytes left", cut, len(rest))
			}
			if len(recs) != 3 || withDeleted && len(deleted) != 3 {
				t.Fatalf("cut %d: %d rows, %d flags", cut, len(recs), len(deleted))
			}
			for i, r := range recs {
				if r.NativeID != fmt.Sprintf("id-%d", i) || r.Version != uint64(100+i) || r.Text != string(r.Payload) || len(r.Payload) < 200 {
					t.Fatalf("cut %d row %d: %+v", cut, i, r.NativeID)
				}
				if withDeleted && deleted[i] != (i%2 == 1) {
					t.Fatalf("cut %d row %d: deleted %v", cut, i, deleted[i])
				}
			}
		}
		if rest := parse(data[:len(data)-1], new([]StoredRaw), new([]bool)); len(rest) == 0 {
			t.Fatal("a truncated last row was not left over")
		}
	}
}
