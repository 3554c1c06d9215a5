package smartsheet

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func BenchmarkZZTiming(b *testing.B) {
	f := newFake()
	id := bigPlan(b, f, 10_000)
	h := newHarness(b, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", id))
	r := h.conn.newRun(h.env())
	for p := 1; p <= 3; p++ {
		t0 := time.Now()
		sh, err := r.client.Sheet(context.Background(), id, SheetQuery{PageSize: 1000, Page: p})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Since(t0)
		t0 = time.Now()
		v, _ := newSheetView("plans", SheetConfig{Entity: "work_items"}, sh)
		hh := hierarchy(sh.Rows)
		keys := map[int64]string{}
		for i := range sh.Rows {
			keys[sh.Rows[i].ID] = v.rowKey(&sh.Rows[i])
		}
		for i := range sh.Rows {
			v.payload(&sh.Rows[i], hh, keys)
		}
		fmt.Println("page", p, "fetch", t1, "payload", time.Since(t0))
	}
}
