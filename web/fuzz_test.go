package web_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/pmohub/pmohub/web"
)

// FuzzMetricQuery feeds the API's query-string parser arbitrary input: it must never
// panic, and what it accepts must be UTC times parsed from the text it was given.
func FuzzMetricQuery(f *testing.F) {
	for _, s := range []string{"project=jira:A&from=2026-02-02&to=2026-03-02&interval=week",
		"from=2026-02-30", "to=2026-03-02T10:00:00%2B02:00", "from=yesterday", "scope=jira_project%3AA&interval=month"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := web.MetricQuery(v)
		if err != nil {
			return
		}
		for _, tm := range []time.Time{q.From, q.To} {
			if !tm.IsZero() && tm.Location() != time.UTC {
				t.Fatalf("%q: time %v is not UTC", raw, tm)
			}
		}
		if q.Project != v.Get("project") || q.Interval != v.Get("interval") {
			t.Fatalf("%q: parsed %+v", raw, q)
		}
	})
}
