package admin

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/jira"
	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

// benchRecords reads the record count from PMOHUB_BENCH_RECORDS (default def).
func benchRecords(def int) int {
	if n, err := strconv.Atoi(os.Getenv("PMOHUB_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return def
}

// jiraLike is a Jira issue as the connector stores it: fields, a two-history changelog.
func jiraLike(i int) []byte {
	statuses := []string{"To Do", "In Progress", "Done", "Blocked"}
	cats := []string{"new", "indeterminate", "done", "indeterminate"}
	s := i % 4
	return fmt.Appendf(nil, `{"id":"%d","key":"ALPHA-%d","self":"https://example.atlassian.net/rest/api/3/issue/%d","fields":{"summary":"Issue number %d","issuetype":{"name":"Story","hierarchyLevel":0},"project":{"id":"10000","key":"ALPHA"},"status":{"name":%q,"id":"%d","statusCategory":{"key":%q}},"resolution":null,"priority":{"name":"Medium"},"labels":["backend","team-%d"],"created":"2024-01-%02dT10:00:00.000+0100","updated":"2024-02-%02dT10:00:00.000+0100","duedate":"2024-03-01"},"changelog":{"histories":[{"id":"%d1","created":"2024-01-%02dT11:00:00.000+0100","author":{"accountId":"u%d","displayName":"User %d"},"items":[{"field":"status","from":"1","fromString":"To Do","to":"3","toString":"In Progress"}]},{"id":"%d2","created":"2024-01-%02dT12:00:00.000+0100","author":{"accountId":"u%d","displayName":"User %d"},"items":[{"field":"status","from":"3","fromString":"In Progress","to":"%d","toString":%q}]}]}}`,
		i, i, i, i, statuses[s], s+1, cats[s], i%7, 1+i%28, 1+i%28, i, 1+i%28, i%50, i%50, i, 1+i%28, i%50, i%50, s+1, statuses[s])
}

// seedJira writes n Jira-like issues and the statuses lookup stream into the raw layer
// and returns the admin fixture over the built-in Jira mapping (not yet mapped).
func seedJira(b testing.TB, n int) (*Service, *pmosync.Source, *warehouse.Warehouse) {
	b.Helper()
	wh := whtest.New(b, "bench")
	now := time.Now()
	var recs []warehouse.RawRecord
	for i, st := range []string{`{"id":"1","name":"To Do","statusCategory":{"key":"new"}}`, `{"id":"2","name":"Done","statusCategory":{"key":"done"}}`,
		`{"id":"3","name":"In Progress","statusCategory":{"key":"indeterminate"}}`, `{"id":"4","name":"Blocked","statusCategory":{"key":"indeterminate"}}`} {
		recs = append(recs, warehouse.RawRecord{Source: "jira", Stream: "statuses", NativeID: strconv.Itoa(i + 1), Version: 1, Payload: []byte(st), FetchedAt: now})
	}
	for i := 1; i <= n; i++ {
		recs = append(recs, warehouse.RawRecord{Source: "jira", Stream: "issues", NativeID: strconv.Itoa(i), Version: uint64(i), Payload: jiraLike(i), FetchedAt: now})
		if len(recs) >= 50_000 {
			if err := wh.WriteRaw(ctx, recs); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	if err := wh.WriteRaw(ctx, recs); err != nil {
		b.Fatal(err)
	}
	builtin := jira.Kind().Mapping
	m, err := mappings.DefaultFor("jira", builtin)
	if err != nil {
		b.Fatal(err)
	}
	src := &pmosync.Source{Config: connectors.SourceConfig{Name: "jira", Kind: "jira", URL: "https://example.atlassian.net"}, Mapping: m, MappingText: builtin}
	svc := New(&pmosync.Engine{WH: wh}, []*Source{{Sync: src, Builtin: builtin}}, nil)
	return svc, src, wh
}

// BenchmarkRemapJira re-derives the canonical rows of 1,000,000 stored Jira issues
// (PMOHUB_BENCH_RECORDS to change) with Engine.Remap: no connector, so no API calls.
// Run with -benchtime=1x.
func BenchmarkRemapJira(b *testing.B) {
	n := benchRecords(1_000_000)
	svc, src, _ := seedJira(b, n)
	cpu := cpuTime()
	for b.Loop() {
		res, err := svc.engine.Remap(ctx, src)
		if err != nil {
			b.Fatal(err)
		}
		if res.Records != int64(n) {
			b.Fatalf("re-mapped %d records, want %d", res.Records, n)
		}
		b.ReportMetric(float64(res.Rows), "rows")
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MB")
}

// cpuTime is the CPU time of the process so far, chDB's threads included: what a
// re-mapping costs whatever else the machine runs (wall time on a shared machine is not).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkValidatePreview validates and previews an edited mapping over 100,000 stored
// Jira issues (PMOHUB_BENCH_RECORDS to change) whose current rows are in the warehouse.
func BenchmarkValidatePreview(b *testing.B) {
	n := benchRecords(100_000)
	svc, src, _ := seedJira(b, n)
	if _, err := svc.engine.Remap(ctx, src); err != nil {
		b.Fatal(err)
	}
	text := []byte("extends: default\nentities:\n  work_items:\n    fields:\n      attributes.team: {expr: 'payload.fields.labels.exists(l, l.startsWith(\"team-\")) ? payload.fields.labels.filter(l, l.startsWith(\"team-\"))[0].substring(5) : \"\"'}\n")
	b.Run("validate", func(b *testing.B) {
		cpu := cpuTime()
		defer func() { b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op") }()
		for b.Loop() {
			r, err := svc.Validate(ctx, "jira", text)
			if err != nil || !r.Valid {
				b.Fatal(err, r.Problems)
			}
		}
	})
	b.Run("preview", func(b *testing.B) {
		cpu := cpuTime()
		defer func() { b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op") }()
		for b.Loop() {
			p, err := svc.Preview(ctx, "jira", text, 20)
			if err != nil || !p.Valid || len(p.Diff) == 0 {
				b.Fatal(err, p.Problems)
			}
		}
	})
}
