package warehouse_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

// benchItems fills rows[0:n] with believable work items numbered from start.
func benchItems(rows []warehouse.Row, start int) {
	cols := warehouse.WorkItems.AllColumns()
	cats := []string{"todo", "in_progress", "done", "done", "cancelled"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		n := start + i
		created := base.Add(time.Duration(n%100000) * time.Minute)
		est := float64(n % 13)
		r := make(warehouse.Row, len(cols))
		for j, c := range cols {
			switch c.Name {
			case "tenant":
				r[j] = "default"
			case "source":
				r[j] = "jira-main"
			case "generation":
				r[j] = uint32(1)
			case "item_id":
				r[j] = "jira-main:" + strconv.Itoa(n)
			case "source_kind":
				r[j] = "jira"
			case "native_id":
				r[j] = strconv.Itoa(n)
			case "key":
				r[j] = fmt.Sprintf("P%d-%d", n%50, n)
			case "url":
				r[j] = fmt.Sprintf("https://acme.atlassian.net/browse/P%d-%d", n%50, n)
			case "scope":
				r[j] = fmt.Sprintf("jira_project:P%d", n%50)
			case "project_id":
				r[j] = fmt.Sprintf("jira-main:P%d", n%50)
			case "title":
				r[j] = fmt.Sprintf("Implement the %d-th capability of the portfolio \"quoted\"", n)
			case "item_type", "type_category":
				r[j] = "story"
			case "status":
				r[j] = "In Progress"
			case "status_category":
				r[j] = cats[n%len(cats)]
			case "labels":
				r[j] = []string{"backend", "q3"}
			case "estimate":
				r[j] = &est
			case "created_at", "updated_at":
				r[j] = &created
			case "attributes":
				r[j] = map[string]string{"team": "core"}
			case "raw_ref":
				r[j] = "issues/" + strconv.Itoa(n)
			case "version":
				r[j] = uint64(n)
			case "is_deleted":
				r[j] = uint8(0)
			case "synced_at":
				r[j] = base
			default:
				switch {
				case strings.HasPrefix(c.Type, "Nullable"):
					r[j] = nil
				default:
					r[j] = ""
				}
			}
		}
		rows[i] = r
	}
}

func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// benchWrite writes n work items in batches through the writer, then loads the same rows
// from a JSONEachRow file with chDB's file() to compare the rates.
func benchWrite(b *testing.B, n int) {
	const batch = 10000
	for b.Loop() {
		b.StopTimer()
		w := whtest.New(b, "default")
		rows := make([]warehouse.Row, batch)
		b.StartTimer()
		var writer time.Duration
		for done := 0; done < n; done += batch {
			benchItems(rows, done) // the rows a mapping would hand over; not the writer's cost
			start := time.Now()
			if err := w.Insert(ctx, warehouse.WorkItems, rows); err != nil {
				b.Fatal(err)
			}
			writer += time.Since(start)
		}
		b.StopTimer()
		b.ReportMetric(float64(n)/writer.Seconds(), "rows/s")
		b.ReportMetric(peakRSSMB(), "peakRSS_MB")

		// the same rows from a file, loaded by the engine itself
		path := filepath.Join(b.TempDir(), "rows.jsonl")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		var line []byte
		for done := 0; done < n; done += batch {
			benchItems(rows, done)
			for _, r := range rows {
				line, _ = warehouse.AppendJSONRow(line[:0], warehouse.WorkItems.AllColumns(), r)
				bw.Write(line)
			}
		}
		bw.Flush()
		f.Close()
		t0 := time.Now()
		q := fmt.Sprintf("INSERT INTO %s SELECT * FROM file(%s, JSONEachRow)", w.Layout().Q(warehouse.WorkItems.Storage()), warehouse.Lit(path))
		if err := w.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
		file := time.Since(t0)
		b.ReportMetric(float64(n)/file.Seconds(), "file_rows/s")
		b.ReportMetric(file.Seconds()/writer.Seconds(), "writer/file_ratio")
		b.StartTimer()
	}
}

func BenchmarkWriteWorkItems100k(b *testing.B) { benchWrite(b, 100_000) }
func BenchmarkWriteWorkItems1M(b *testing.B)   { benchWrite(b, 1_000_000) }

// BenchmarkCurrentStateByProject queries the analysts' view of 1M items by project, and
// the live view (FINAL over the versions) for comparison.
func BenchmarkCurrentStateByProject(b *testing.B) {
	w := whtest.New(b, "default")
	if err := w.ActivateGeneration(ctx, "jira-main", warehouse.Generation{Generation: 1}); err != nil {
		b.Fatal(err)
	}
	rows := make([]warehouse.Row, 10000)
	for done := 0; done < 1_000_000; done += len(rows) {
		benchItems(rows, done)
		if err := w.Insert(ctx, warehouse.WorkItems, rows); err != nil {
			b.Fatal(err)
		}
	}
	// some updates, so there are versions to collapse
	benchItems(rows, 0)
	if err := w.Insert(ctx, warehouse.WorkItems, rows); err != nil {
		b.Fatal(err)
	}
	// as at the end of a sync run
	t0 := time.Now()
	if err := w.RefreshSnapshots(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(t0).Seconds(), "snapshot_refresh_s")
	q := "SELECT project_id, count() AS items, countIf(status_category = 'done') AS done FROM " + w.Layout().Q("work_items") + " GROUP BY project_id ORDER BY project_id"
	var out []struct {
		Items uint64 `json:"items"`
	}
	b.ResetTimer()
	for b.Loop() {
		out = out[:0]
		if err := w.QueryInto(ctx, q, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	t1 := time.Now()
	live := strings.Replace(q, "work_items", "work_items_live", 1)
	if err := w.QueryInto(ctx, live, &out); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(t1).Milliseconds()), "live_view_ms")
	total := uint64(0)
	for _, o := range out {
		total += o.Items
	}
	if len(out) != 50 || total != 1_000_000 {
		b.Fatalf("%d projects, %d items", len(out), total)
	}
}
