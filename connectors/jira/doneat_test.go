package jira

import (
	"encoding/json"
	"testing"
)

func TestDoneAtIsTheLatestEntryIntoTheCurrentDoneStatus(t *testing.T) {
	issue := `{"id":"1","key":"A-1","fields":{"updated":"2026-03-05T10:00:00.000+0000",
	  "status":{"id":"5","statusCategory":{"key":"done"}},"resolutiondate":null},
	  "changelog":{"startAt":0,"maxResults":3,"total":3,"histories":[
	    {"id":"3","created":"2026-03-04T09:00:00.000+0000","items":[{"field":"status","from":"3","to":"5"}]},
	    {"id":"1","created":"2026-03-01T09:00:00.000+0000","items":[{"field":"status","from":"1","to":"5"}]},
	    {"id":"2","created":"2026-03-02T09:00:00.000+0000","items":[{"field":"status","from":"5","to":"3"}]}]}}`
	p, err := parseIssue([]byte(issue))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.doneAt(); got != "2026-03-04T09:00:00.000+0000" {
		t.Fatalf("done_at %q", got)
	}
	rec, err := p.record(customIDs{}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Pmohub struct {
			DoneAt string `json:"done_at"`
		} `json:"pmohub"`
	}
	if err := json.Unmarshal(rec.Payload, &out); err != nil || out.Pmohub.DoneAt == "" {
		t.Fatalf("payload: %s %v", rec.Payload, err)
	}
	// an open (reopened) issue has none
	open := `{"id":"2","key":"A-2","fields":{"updated":"2026-03-05T10:00:00.000+0000","status":{"id":"3","statusCategory":{"key":"indeterminate"}}},
	  "changelog":{"histories":[{"id":"1","created":"2026-03-01T09:00:00.000+0000","items":[{"field":"status","from":"1","to":"5"}]}]}}`
	if p, _ := parseIssue([]byte(open)); p.doneAt() != "" {
		t.Fatal("open issue got a done_at")
	}
}
