package mappings

import (
	"testing"

	"github.com/pmohub/pmohub/warehouse"
)

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

// BenchmarkMapJiraIssueScoped is BenchmarkMapJiraIssue with a scoped status map (two
// scopes, the second matching) and a fallback resolved_at: the cost of issue 7's features
// against the plain mapping.
func BenchmarkMapJiraIssueScoped(b *testing.B) {
	base, err := DefaultFor("jira", read(b, "testdata/jira.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := Parse("scoped.yaml", []byte(`extends: default
entities:
  work_items:
    fields:
      status_category:
        path: fields.status.name
        values: {Done: done, "In Progress": in_progress}
        scoped:
          - when: {path: fields.project.key, equals: OPS}
            values: {Resolved: done, Triage: todo}
          - when: {path: fields.issuetype.name, in: [Bug, Story, Task, Epic]}
            values: {"In Review": in_progress, "To Do": todo}
        default: todo
      resolved_at: {path: fields.resolutiondate, fallback: {last_transition: {to_category: [done, cancelled]}}}
`), base)
	if err != nil {
		b.Fatal(err)
	}
	mp := compileJira(b, m)
	rec := Record{Stream: "issues", NativeID: "10042", Payload: read(b, "testdata/issue-with-changelog.json")}
	rows, _ := mp.Map(rec)
	if wi := rowsOf(rows, warehouse.WorkItems); len(wi) != 1 || wi[0]["status_category"] == "" {
		b.Fatalf("work items %v", wi)
	}
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

// BenchmarkPreviewJiraIssue maps an issue the way a preview does (into a Sample, with an
// edited field that is a CEL expression): the per-record cost behind
// mappings/admin's BenchmarkValidatePreview, without the warehouse.
func BenchmarkPreviewJiraIssue(b *testing.B) {
	base, err := DefaultFor("jira", read(b, "testdata/jira.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := Parse("edit.yaml", []byte("extends: default\nentities:\n  work_items:\n    fields:\n      attributes.team: {expr: 'payload.fields.labels.exists(l, l.startsWith(\"team-\")) ? payload.fields.labels.filter(l, l.startsWith(\"team-\"))[0].substring(5) : \"\"'}\n"), base)
	if err != nil {
		b.Fatal(err)
	}
	mp := compileJira(b, m)
	rec := Record{Stream: "issues", NativeID: "10042", Payload: read(b, "testdata/issue-with-changelog.json")}
	rec.Text = string(rec.Payload)
	s := mp.NewSample()
	b.SetBytes(int64(len(rec.Payload)))
	b.ReportAllocs()
	for b.Loop() {
		if rows, _ := s.Map(rec); len(rows) != 6 {
			b.Fatalf("rows %d", len(rows))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
