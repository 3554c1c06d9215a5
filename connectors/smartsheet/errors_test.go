package smartsheet

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

func sourceError(t *testing.T, err error) *connectors.SourceError {
	t.Helper()
	var se *connectors.SourceError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a SourceError", err, err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error leaks the token: %v", err)
	}
	return se
}

func TestThrottledThenSucceedsAndIsCounted(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	f.ThrottleNext(2, "")
	if n := h.mustSync(); n != 3 {
		t.Errorf("sync cost %d requests, want 3 (two 429s then the read)", n)
	}
	if got := h.stats.Throttled.Load(); got != 2 {
		t.Errorf("throttled %d, want 2", got)
	}
	// A Retry-After beyond the cap is capped, not slept in full.
	f.ThrottleNext(1, "3600")
	f.UpdateRow(p.sheet, p.design, ss.Cells{"Status": "Blocked"})
	start := time.Now()
	h.mustSync()
	if time.Since(start) > time.Second {
		t.Errorf("Retry-After 3600 waited %v; the cap is %v", time.Since(start), fastRetry.WaitMax)
	}
}

func TestLongThrottlingFailsTheStreamClearly(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
	f.ThrottleNext(1000, "")
	err := h.sync(StreamRows, false)
	se := sourceError(t, err)
	if se.Status != http.StatusTooManyRequests || !strings.Contains(se.Message, "4003") || !strings.Contains(se.Hint, "rate limited") {
		t.Errorf("error %v", se)
	}
	if se.Endpoint != fmt.Sprintf("GET /sheets/%d", p.sheet) || se.Source != "plans" {
		t.Errorf("endpoint %q source %q", se.Endpoint, se.Source)
	}
	if got := len(f.Requests()); got != fastRetry.Max+1 {
		t.Errorf("%d attempts, want %d", got, fastRetry.Max+1)
	}
}

func TestRevokedTokenStopsTheStream(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	q := addPlan(t, f, "Other")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n  - {id: %d}\n", p.sheet, q.sheet))
	h.mustSync()
	f.RevokeToken(testToken)
	f.UpdateRow(p.sheet, p.design, ss.Cells{"Status": "Complete"})
	f.ResetRequests()
	err := h.sync(StreamRows, false)
	se := sourceError(t, err)
	if se.Status != http.StatusUnauthorized || !strings.Contains(se.Message, "errorCode 1002") || !strings.Contains(se.Message, "refId") || !strings.Contains(se.Hint, "token") {
		t.Errorf("error %v", se)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("%d requests after a 401; the stream must stop at the first", n)
	}
	if h.store.count(StreamRows) != 8 {
		t.Errorf("stored rows lost: %d", h.store.count(StreamRows))
	}
}

func TestMissingAndUnsharedSheetsKeepOthersAndStoredRows(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	q := addPlan(t, f, "Private")
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n  - {id: 999}\n  - {id: %d}\n", q.sheet, p.sheet))
	_, err := h.syncAll()
	if err == nil {
		t.Fatal("a missing sheet must fail the stream")
	}
	if !strings.Contains(err.Error(), "GET /sheets/999: HTTP 404") || !strings.Contains(err.Error(), "errorCode 1006") {
		t.Errorf("error %v does not name the sheet endpoint and status", err)
	}
	if h.store.count(StreamRows) != 8 {
		t.Errorf("other sheets not synced: %d rows", h.store.count(StreamRows))
	}
	f.SetPrivate(q.sheet, true)
	f.UpdateRow(q.sheet, q.design, ss.Cells{"Status": "Complete"})
	_, err = h.syncAll()
	if !strings.Contains(err.Error(), fmt.Sprintf("GET /sheets/%d: HTTP 403", q.sheet)) || !strings.Contains(err.Error(), "not shared") {
		t.Errorf("error %v", err)
	}
	if h.store.count(StreamRows) != 8 {
		t.Errorf("an unshared sheet's stored rows must stay: %d", h.store.count(StreamRows))
	}
}

func TestHTMLAndTruncatedAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body, want string
		status               int
	}{
		{"html", "text/html", "<html><body>Sign in</body></html>", "not JSON", 200},
		{"truncated", "application/json", `{"id": 1, "columns": [{"id": 2,`, "truncated", 200},
		{"gateway page", "text/html", "<html>502 Bad Gateway</html>", "HTTP 400", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			p := addPlan(t, f, "Plan")
			h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", p.sheet))
			f.FailNext(tc.status, tc.ct, tc.body)
			err := h.sync(StreamRows, false)
			se := sourceError(t, err)
			if se.Status != tc.status || !strings.Contains(err.Error(), tc.want) || !strings.Contains(se.Endpoint, "/sheets/") {
				t.Errorf("error %v", err)
			}
		})
	}
}

func TestVerbatimTextAndCellProblems(t *testing.T) {
	f := newFake()
	id := f.AddSheet("Risks ✓ «register»", []ss.Column{
		{Title: "Title", Type: ss.TextNumber}, {Title: "Owner", Type: ss.ContactList}, {Title: "Notes", Type: ss.TextNumber},
	})
	nasty := "Robert'); DROP TABLE work_items;-- \\ \"quoted\" 日本語 🚀 \n tab\t"
	long := strings.Repeat("é", 4100)
	row, err := f.AddRow(id, 0, ss.Cells{"Title": nasty, "Owner": ss.Contact{Name: "Freelancer Fred"}, "Notes": long})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, f, fmt.Sprintf("sheets:\n  - {id: %d}\n", id))
	h.mustSync()
	p := h.store.row(t, rid(id, row))
	if p.Title != nasty || p.Cells["Title"] != nasty {
		t.Errorf("title not verbatim: %q", p.Title)
	}
	if p.Sheet.Name != "Risks ✓ «register»" {
		t.Errorf("sheet name %q", p.Sheet.Name)
	}
	if n := len([]rune(p.Cells["Notes"].(string))); n != 4000 {
		t.Errorf("long cell kept %d characters", n)
	}
	if len(p.Contacts) != 1 || p.Contacts[0].Email != "pmo@example.com" {
		t.Errorf("a contact without e-mail must not become a person: %+v", p.Contacts)
	}
	logs := h.logText()
	for _, want := range []string{"contact_without_email", "cell_at_length_limit", `column=Owner`, `column=Notes`, fmt.Sprintf("row_id=%d", row), "row=1"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if len(p.Problems) != 2 {
		t.Errorf("payload problems %+v", p.Problems)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ settings, want string }{
		{"sheets:\n  - {id: 1, entity: epics}\n", "entity"},
		{"sheets:\n  - {id: 1, colour: red}\n", "pmohub.yaml"},
		{"sheets: []\n", "no sheets"},
		{"sheets:\n  - {id: 1}\n  - {id: 1}\n", "twice"},
		{"sheets:\n  - {id: 1, history: [Status, Owner]}\n", "history"},
	} {
		_, err := New(connectors.SourceConfig{Name: "plans", Auth: connectors.Auth{"token": testToken},
			Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(tc.settings)}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.settings, err, tc.want)
		}
	}
	_, err := New(connectors.SourceConfig{Name: "plans", Settings: connectors.YAMLSettings{Text: []byte("sheets: [{id: 1}]")}})
	if err == nil || !strings.Contains(err.Error(), "auth.token") {
		t.Errorf("missing token: %v", err)
	}
}
