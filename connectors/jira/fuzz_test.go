package jira

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSplitObject checks that splitting an object into members and joining them back
// keeps every value exactly (the raw layer promises payloads as fetched).
func FuzzSplitObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, ` { "id" : "1" , "fields" : {"x":[1,{"y":"}"}]} } `,
		`{"k\"ey":"v\\\"","n":null,"t":true,"f":-1.5e3}`, `{"a":"\u00e9\/"}`, `{"a":{"b":[]},"a":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := splitObject(data)
		if !json.Valid(data) {
			return // must merely not panic
		}
		var want any
		_ = json.Unmarshal(data, &want)
		if _, isObj := want.(map[string]any); !isObj {
			if err == nil {
				t.Fatalf("split a non-object %q", data)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid object %q: %v", data, err)
		}
		out := joinObject(ms)
		var got any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("joined %q is not JSON: %v", out, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip changed %q into %q", data, out)
		}
	})
}

// FuzzParseIssue feeds arbitrary issue payloads through the record builder.
func FuzzParseIssue(f *testing.F) {
	f.Add([]byte(`{"id":"10001","key":"A-1","fields":{"updated":"2024-01-02T10:00:00.000+0100","customfield_10016":3,"customfield_10020":[{"id":1,"name":"S1","state":"active"}],"parent":{"id":"9","key":"A-0"},"assignee":{"accountId":"x","displayName":"X"}},"changelog":{"startAt":0,"maxResults":1,"total":1,"histories":[{"id":"1","author":{"name":"bo"},"items":[]}]}}`))
	f.Add([]byte(`{"id":"2","fields":{"updated":"2024-01-02T10:00:00.000Z","customfield_10020":["com.atlassian.greenhopper.service.sprint.Sprint@1[id=3,state=ACTIVE,name=S,goal=]"],"customfield_10014":"A-1"}}`))
	f.Add([]byte(`{"id":"3","fields":null,"pmohub":{"evil":true}}`))
	ids := customIDs{StoryPoints: []string{"customfield_10016"}, Sprint: "customfield_10020", EpicLink: "customfield_10014"}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseIssue(data)
		if err != nil {
			return
		}
		rec, err := p.record(ids, func(string) string { return "" }, nil)
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(rec.Payload, &m); err != nil {
			if json.Valid(data) {
				t.Fatalf("record of valid %q is not JSON: %v", data, err)
			}
			return
		}
		if _, ok := m[reservedKey]; !ok || rec.NativeID != p.id || rec.Version != p.version() {
			t.Fatalf("record %+v lacks pmohub or identity", rec)
		}
	})
}

// FuzzParseDCSprint checks the Data Center sprint text parser.
func FuzzParseDCSprint(f *testing.F) {
	f.Add(7, "Sprint 7", "active")
	f.Add(1, "a, b,c", "closed")
	f.Add(0, "", "")
	f.Fuzz(func(t *testing.T, id int, name, state string) {
		s := "com.atlassian.greenhopper.service.sprint.Sprint@1f[id=" + strconv.Itoa(id) + ",rapidViewId=2,state=" + strings.ToUpper(state) + ",name=" + name + ",goal=,sequence=1]"
		gotID, gotName, _, ok := parseDCSprint(s)
		_, _, _, _ = parseDCSprint(name) // arbitrary text must not panic
		clean := !strings.Contains(name, ",") || !containsKnownKey(name)
		if !ok || !clean || strings.ContainsAny(state, ",=[]") {
			return
		}
		if gotID != id || gotName != name {
			t.Fatalf("parsed %q as %d %q", s, gotID, gotName)
		}
	})
}

func containsKnownKey(s string) bool {
	for _, k := range []string{"id=", "rapidViewId=", "state=", "name=", "goal=", "startDate=", "endDate=", "completeDate=", "activatedDate=", "sequence=", "autoStartStop=", "synced=", "incompleteIssuesDestinationId="} {
		if strings.Contains(s, ","+k) {
			return true
		}
	}
	return false
}

// FuzzJiraMessage checks the error body reader on arbitrary bodies.
func FuzzJiraMessage(f *testing.F) {
	f.Add([]byte(`{"errorMessages":["Field 'priority' is required"],"errors":{}}`))
	f.Add([]byte(`{"errorMessages":[],"errors":{"jql":"bad"}}`))
	f.Add([]byte(`<html><body>login</body></html>`))
	f.Add([]byte(`{"message":"Rate limit exceeded."}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		msg := jiraMessage(data)
		if !json.Valid(data) && utf8.Valid(data) && len(strings.TrimSpace(string(data))) > 0 && msg == "" {
			t.Fatalf("no message for %q", data)
		}
	})
}
