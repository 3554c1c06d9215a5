package mappings

import "testing"

// BenchmarkMapJiraIssue maps a realistic Jira issue (fields and a three-history changelog)
// into work_items, transitions, people and project_members; records/s is the figure the
// sync engine's budget (≥100,000 per core) is measured against.
func BenchmarkMapJiraIssue(b *testing.B) {
	mp := jiraMapper(b)
	rec := Record{Stream: "issues", NativeID: "10042", Payload: read(b, "testdata/issue-with-changelog.json")}
	b.SetBytes(int64(len(rec.Payload)))
	b.ReportAllocs()
	for b.Loop() {
		rows, probs := mp.Map(rec)
		if len(rows) != 6 || len(probs) != 0 {
			b.Fatalf("rows %d problems %v", len(rows), probs)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDecodePayload compares the planned decode of a Jira issue with a full
// encoding/json decode, the floor a naive engine would pay per record.
func BenchmarkDecodePayload(b *testing.B) {
	mp := jiraMapper(b)
	data := read(b, "testdata/issue-with-changelog.json")
	b.Run("planned", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mp.plans["issues"].decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeAll(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
