package smartsheet

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

// bigPlan fills a sheet with n rows using every column type: phases of 19 tasks.
func bigPlan(b *testing.B, f *ss.Server, n int) int64 {
	b.Helper()
	id := f.AddSheet("Programme plan", planColumns())
	statuses := []string{"Not Started", "In Progress", "Blocked", "Complete"}
	var phase, prev int64
	for i := range n {
		cells := ss.Cells{
			"Task Name": fmt.Sprintf("Task %d — «%d»", i, i), "Status": statuses[i%4], "Assigned To": alice,
			"Team": []ss.Contact{alice, bob}, "Tags": []string{"ux", "ops"}, "Start": "2026-02-02T00:00:00",
			"Finish": "2026-02-06", "Reviewed": time.Date(2026, 1, 30, 14, 30, 0, 0, time.UTC), "% Complete": float64(i%100) / 100,
			"At Risk": i%7 == 0, "Duration": ss.Days(i % 10), "Notes": "free text with \"quotes\" and \\ backslashes",
		}
		parent := phase
		if i%20 == 0 {
			parent = 0
		} else if prev != 0 {
			cells["Predecessors"] = []ss.Dependency{{RowID: prev, Type: "FS"}}
		}
		row, err := f.AddRow(id, parent, cells)
		if err != nil {
			b.Fatal(err)
		}
		if i%20 == 0 {
			phase, prev = row, 0
		} else {
			prev = row
		}
	}
	return id
}

// BenchmarkFirstSync10kRows is the figure: a 10,000-row sheet with every column
// type, first sync of both streams against the local fake.
func BenchmarkFirstSync10kRows(b *testing.B) {
	f := newFake()
	id := bigPlan(b, f, 10_000)
	h := newHarness(b, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", id))
	b.ResetTimer()
	cpu0 := cpuTime()
	var reqs int
	for range b.N {
		h.store = newStore()
		n, err := h.syncAll()
		if err != nil {
			b.Fatal(err)
		}
		reqs = n
	}
	b.StopTimer()
	if h.store.count(StreamRows) != 10_000 {
		b.Fatalf("stored %d rows", h.store.count(StreamRows))
	}
	b.ReportMetric(float64(reqs), "requests/op")
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "rows/s")
	// CPU seconds (connector and fake together) are steadier than wall time on a busy box.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIncremental10kRowsOneEdit is a changed big sheet: changed rows plus the sweep.
func BenchmarkIncremental10kRowsOneEdit(b *testing.B) {
	f := newFake()
	id := bigPlan(b, f, 10_000)
	h := newHarness(b, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", id))
	if _, err := h.syncAll(); err != nil {
		b.Fatal(err)
	}
	rows := f.RowIDs(id)
	b.ResetTimer()
	var reqs int
	for i := range b.N {
		b.StopTimer()
		f.UpdateRow(id, rows[i%len(rows)], ss.Cells{"Status": []string{"Complete", "In Progress"}[i%2]})
		b.StartTimer()
		n, err := h.syncAll()
		if err != nil {
			b.Fatal(err)
		}
		reqs = n
	}
	b.ReportMetric(float64(reqs), "requests/op")
}

// BenchmarkUnchanged10Sheets is the other figure: ten unchanged sheets.
func BenchmarkUnchanged10Sheets(b *testing.B) {
	f := newFake()
	cfg := "sheets:\n"
	for range 10 {
		cfg += fmt.Sprintf("  - {id: %d}\n", bigPlan(b, f, 100))
	}
	h := newHarness(b, f, cfg)
	if _, err := h.syncAll(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var reqs int
	for range b.N {
		n, err := h.syncAll()
		if err != nil {
			b.Fatal(err)
		}
		reqs = n
	}
	b.ReportMetric(float64(reqs), "requests/op")
}
