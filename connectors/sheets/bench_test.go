package sheets

import (
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	sf "github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
)

// bigTab fills the demo spreadsheet with a rows × 20 tab of mixed types.
func bigTab(b *testing.B, e *env, rows int) {
	b.Helper()
	header := hdr("Task ID", "Title", "Status", "Owner", "Start", "Due", "% Complete", "Budget", "Points", "Done",
		"Type", "Priority", "Team", "Notes", "Updated", "Risk", "Cost", "Region", "Phase", "Link")
	data := [][]sf.Cell{header}
	statuses := []string{"Not Started", "In Progress", "Blocked", "Done"}
	for i := range rows {
		data = append(data, []sf.Cell{
			sf.T(fmt.Sprintf("T-%05d", i)), sf.T(fmt.Sprintf("Task number %d with a title", i)), sf.T(statuses[i%4]),
			sf.T(fmt.Sprintf("owner%d@example.com", i%50)), sf.D(2025, 1, 1+i%28), sf.D(2025, 6, 1+i%28),
			sf.Pct(float64(i%100) / 100), sf.Money(float64(i * 10)), sf.N(float64(i % 13)), sf.B(i%2 == 0),
			sf.T("Task"), sf.T("P2"), sf.T("Team A"), sf.T("Some notes about the task"),
			sf.DT(time.Date(2025, 2, 1, 10, i%60, 0, 0, time.UTC)), sf.T("Low"), sf.Money(12.5), sf.T("EMEA"), sf.T("Build"),
			sf.T("https://example.com/t/" + fmt.Sprint(i)),
		})
	}
	if err := e.fake.AddTab(demoID, "Tasks", data); err != nil {
		b.Fatal(err)
	}
}

const benchSettings = `
spreadsheets:
  - id: 1PMOportfolioDEMO
    tabs:
      - {tab: Tasks, entity: work_items, key: Task ID}
page_size: 5000
`

func benchEnv(b *testing.B) *env {
	return newEnv(b, benchSettings)
}

// BenchmarkFirstSync20k: a 20,000-row, 20-column tab read from the fake over loopback,
// typed, diffed against an empty store and written into it.
func BenchmarkFirstSync20k(b *testing.B) {
	e := benchEnv(b)
	bigTab(b, e, 20000)
	defer reportCPU(b)()
	for b.Loop() {
		e.store = newMemStore()
		if err := e.syncQuiet(); err != nil {
			b.Fatal(err)
		}
		if e.store.count() != 20000 {
			b.Fatalf("stored %d", e.store.count())
		}
	}
	b.ReportMetric(20000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkEditSync20k: one status edited in the 20,000-row tab: read, typed, diffed
// against 20,000 stored rows, one row written.
func BenchmarkEditSync20k(b *testing.B) {
	e := benchEnv(b)
	bigTab(b, e, 20000)
	if err := e.syncQuiet(); err != nil {
		b.Fatal(err)
	}
	i := 0
	defer reportCPU(b)()
	for b.Loop() {
		i++
		if err := e.fake.SetCell(demoID, "Tasks", 2, 2, sf.T(fmt.Sprintf("Status %d", i))); err != nil {
			b.Fatal(err)
		}
		written := e.store.written
		if err := e.syncQuiet(); err != nil {
			b.Fatal(err)
		}
		if e.store.written-written != 1 {
			b.Fatalf("wrote %d rows", e.store.written-written)
		}
	}
	b.ReportMetric(float64(len(e.fake.Requests())), "requests/sync")
}

// BenchmarkE2EFirstSync20k: the 20,000-row, 20-column tab through the real sync engine
// and the default mapping into the embedded warehouse (skipped without libchdb).
func BenchmarkE2EFirstSync20k(b *testing.B) {
	defer reportCPU(b)()
	for b.Loop() {
		b.StopTimer()
		x := newE2E(b)
		must(b, x.fake.SetRows(demoID, "RAID Log", [][]sf.Cell{hdr("ID")})) // keep the seed tabs small
		bigTab(b, x.env, 20000)
		x.src.Connector = x.connector(connectors.Auth{"api_key": "test-key-123456"}, portfolioSettings+"      - {tab: Tasks, entity: work_items, key: Task ID}\npage_size: 5000\n")
		b.StartTimer()
		run := x.run(b)
		if run.RecordsRead != 20002 {
			b.Fatalf("run %+v", run)
		}
	}
}

// BenchmarkUnchangedSync: an unchanged spreadsheet costs one request.
func BenchmarkUnchangedSync(b *testing.B) {
	e := benchEnv(b)
	bigTab(b, e, 1000)
	if err := e.syncQuiet(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := e.syncQuiet(); err != nil {
			b.Fatal(err)
		}
		if n := len(e.fake.Requests()); n != 1 {
			b.Fatalf("%d requests", n)
		}
	}
	b.ReportMetric(1, "requests/sync")
}

func (e *env) syncQuiet() error {
	e.logs.Reset()
	err := e.sync(false)
	e.logs.Reset()
	return err
}

var _ = slog.New(slog.NewTextHandler(io.Discard, nil))

// reportCPU adds the process CPU time per op (user+system): on a shared, loaded machine
// wall time mostly measures the neighbours.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric((cpuTime()-start)/float64(b.N), "cpu-s/op")
	}
}

func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkE2EEditSync20k: one edit in the 20,000-row tab through the sync engine into
// the embedded warehouse: the diff reads 20,000 stored rows (in batches: one query naming
// them all would exceed ClickHouse's max_query_size).
func BenchmarkE2EEditSync20k(b *testing.B) {
	x := newE2E(b)
	must(b, x.fake.SetRows(demoID, "RAID Log", [][]sf.Cell{hdr("ID")}))
	bigTab(b, x.env, 20000)
	x.src.Connector = x.connector(connectors.Auth{"api_key": "test-key-123456"}, portfolioSettings+"      - {tab: Tasks, entity: work_items, key: Task ID}\npage_size: 5000\n")
	x.run(b)
	i := 0
	defer reportCPU(b)()
	for b.Loop() {
		i++
		must(b, x.fake.SetCell(demoID, "Tasks", 2, 2, sf.T(fmt.Sprintf("Status %d", i))))
		if run := x.run(b); run.RecordsRead != 1 {
			b.Fatalf("run %+v", run)
		}
	}
}
