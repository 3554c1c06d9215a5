package warehouse

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// A streamed answer may cut a row anywhere: what parseRaw leaves is carried into the
// next piece, and every row comes out once, whole.
func TestParseRawAcrossPieces(t *testing.T) {
	var data []byte
	for i := range 3 {
		id, payload := fmt.Sprintf("id-%d", i), fmt.Sprintf(`{"n":%d,"text":"%0200d"}`, i, i)
		data = binary.AppendUvarint(data, uint64(len(id)))
		data = append(data, id...)
		data = binary.LittleEndian.AppendUint64(data, uint64(100+i))
		data = binary.AppendUvarint(data, uint64(len(payload)))
		data = append(data, payload...)
	}
	for cut := 0; cut <= len(data); cut++ {
		var recs []StoredRaw
		carry := parseRaw(append([]byte(nil), data[:cut]...), &recs)
		next := append(append([]byte(nil), carry...), data[cut:]...)
		if rest := parseRaw(next, &recs); len(rest) != 0 {
			t.Fatalf("cut %d: %d bytes left", cut, len(rest))
		}
		if len(recs) != 3 {
			t.Fatalf("cut %d: %d rows", cut, len(recs))
		}
		for i, r := range recs {
			if r.NativeID != fmt.Sprintf("id-%d", i) || r.Version != uint64(100+i) || r.Text != string(r.Payload) || len(r.Payload) < 200 {
				t.Fatalf("cut %d row %d: %+v", cut, i, r.NativeID)
			}
		}
	}
	if rest := parseRaw(data[:len(data)-1], new([]StoredRaw)); len(rest) == 0 {
		t.Fatal("a truncated last row was not left over")
	}
}
