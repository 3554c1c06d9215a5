package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

// leanStore keeps only ids and versions, so a benchmark measures the connector (and the
// fake), not an in-memory copy of every payload.
type leanStore struct {
	ids     map[string]uint64
	cursor  json.RawMessage
	records int
	bytes   int64
}

func (s *leanStore) NativeIDs(context.Context, string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(s.ids))
	for k, v := range s.ids {
		out[k] = v
	}
	return out, nil
}

func (s *leanStore) Records(context.Context, string, []string, func(connectors.StoredRecord) error) error {
	return nil
}

func (s *leanStore) emit(_ context.Context, p connectors.Page) error {
	for _, r := range p.Records {
		s.records++
		s.bytes += int64(len(r.Payload))
		if r.Deleted {
			delete(s.ids, r.NativeID)
		} else {
			s.ids[r.NativeID] = r.Version
		}
	}
	if p.Cursor != nil {
		s.cursor = p.Cursor
	}
	return nil
}

func benchHarness(b *testing.B, n int) (*harness, *leanStore) {
	h := newHarness(b, jirafake.Cloud, "projects: [GEN]\n")
	h.fake.Generate("GEN", n, 4)
	h.clock.Advance(time.Minute)
	return h, &leanStore{ids: map[string]uint64{}}
}

// minRequests is the fewest requests the API allows for a full read of the fake: search
// pages of 100 issues plus the changelog pages beyond the embedded 40 histories.
func minRequests(h *harness) int {
	n := 0
	pages := 0
	for _, is := range h.fake.Issues() {
		n++
		if extra := len(is.Changelog) - h.fake.EmbedLimit; extra > 0 {
			pages += (extra + changelogMax - 1) / changelogMax
		}
	}
	return (n+99)/100 + pages
}

func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkFullSync reads n issues with their changelogs through the connector from the
// fake on loopback; it reports issues/s and the request count against the minimum.
func BenchmarkFullSync(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			h, _ := benchHarness(b, n)
			min := minRequests(h)
			var reqs int64
			start := time.Now()
			for b.Loop() {
				ls := &leanStore{ids: map[string]uint64{}}
				h.stats.Requests.Store(0)
				env := h.env()
				env.Stored = ls
				h.conn.fields = nil
				if err := h.conn.Sync(context.Background(), connectors.SyncRequest{Stream: StreamIssues, Env: env}, ls.emit); err != nil {
					b.Fatal(err)
				}
				if ls.records != n {
					b.Fatalf("read %d of %d issues", ls.records, n)
				}
				reqs = h.stats.Requests.Load()
			}
			el := time.Since(start)
			b.ReportMetric(float64(n)*float64(b.N)/el.Seconds(), "issues/s")
			b.ReportMetric(float64(reqs), "requests")
			b.ReportMetric(float64(min), "min_requests")
			b.ReportMetric(100*float64(reqs-int64(min))/float64(min), "overhead_%")
			b.ReportMetric(peakRSSMB(), "peak_rss_MB(with_fake)")
		})
	}
}

// BenchmarkUnchangedSync is an incremental sync of 10,000 issues when nothing changed.
func BenchmarkUnchangedSync(b *testing.B) {
	h, ls := benchHarness(b, 10_000)
	env := h.env()
	env.Stored = ls
	if err := h.conn.Sync(context.Background(), connectors.SyncRequest{Stream: StreamIssues, Env: env}, ls.emit); err != nil {
		b.Fatal(err)
	}
	h.clock.Advance(5 * time.Minute)
	var reqs int64
	for b.Loop() {
		h.stats.Requests.Store(0)
		if err := h.conn.Sync(context.Background(), connectors.SyncRequest{Stream: StreamIssues, Cursor: ls.cursor, Env: env}, ls.emit); err != nil {
			b.Fatal(err)
		}
		reqs = h.stats.Requests.Load()
	}
	b.ReportMetric(float64(reqs), "requests")
}

// BenchmarkRecordBuild measures building one issue record (split, enrich, join).
func BenchmarkRecordBuild(b *testing.B) {
	raw := []byte(`{"expand":"changelog","id":"10001","self":"https://x/rest/api/3/issue/10001","key":"A-1","fields":{"summary":"Pay with card","updated":"2024-01-02T10:00:00.000+0100","customfield_10016":3,"customfield_10020":[{"id":1,"name":"S1","state":"active"}],"parent":{"id":"9","key":"A-0"},"assignee":{"accountId":"x","displayName":"X"},"reporter":{"accountId":"y","displayName":"Y"}},"changelog":{"startAt":0,"maxResults":2,"total":2,"histories":[{"id":"1","author":{"accountId":"x"},"created":"2024-01-02T10:00:00.000+0100","items":[{"field":"status","from":"1","to":"3","fromString":"To Do","toString":"In Progress"}]},{"id":"2","author":{"accountId":"y"},"created":"2024-01-02T11:00:00.000+0100","items":[{"field":"status","from":"3","to":"5","fromString":"In Progress","toString":"Done"}]}]}}`)
	ids := customIDs{StoryPoints: []string{"customfield_10016"}, Sprint: "customfield_10020"}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		p, err := parseIssue(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.record(ids, func(string) string { return "" }, nil); err != nil {
			b.Fatal(err)
		}
	}
}
