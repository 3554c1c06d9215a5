package sheets

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	sf "github.com/pmohub/pmohub/connectors/sheets/sheetsfake"
)

func sourceErr(t *testing.T, err error) *connectors.SourceError {
	t.Helper()
	var se *connectors.SourceError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want a SourceError", err, err)
	}
	if se.Source != "portfolio" || se.Endpoint == "" {
		t.Fatalf("SourceError lacks source or endpoint: %#v", se)
	}
	return se
}

func TestWrongAPIKeyIsRedacted(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.conn = e.connector(connectors.Auth{"api_key": "wrong-key-secret-999"}, portfolioSettings)
	err := e.sync(false)
	se := sourceErr(t, err)
	if se.Status != http.StatusBadRequest || !strings.Contains(se.Message, "API key not valid") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-key-secret-999") {
		t.Fatalf("secret in error: %v", err)
	}
	if strings.Contains(e.logs.String(), "wrong-key-secret-999") {
		t.Fatal("secret in logs")
	}
}

func TestServiceAccountAuth(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	key, err := e.fake.NewServiceAccount("pmohub@demo.iam.gserviceaccount.com", e.srv.URL+"/token")
	must(t, err)
	e.conn = e.connector(connectors.Auth{"credentials_file": connectors.Secret(writeFile(t, "sa.json", key))}, portfolioSettings)
	e.mustSync()
	reqs := e.apiRequests()
	if len(reqs) != 4 || reqs[0] != "POST /token" {
		t.Fatalf("requests = %v, want a token then 3 API calls", reqs)
	}
	if e.store.count() != 5 {
		t.Fatalf("stored %d", e.store.count())
	}

	// A key the token endpoint does not know (revoked, another project's) fails clearly.
	other := sf.New(nil)
	bad, err := other.NewServiceAccount("pmohub@demo.iam.gserviceaccount.com", e.srv.URL+"/token")
	must(t, err)
	e.conn = e.connector(connectors.Auth{"credentials_file": connectors.Secret(writeFile(t, "bad.json", bad))}, portfolioSettings)
	err = e.sync(false)
	se := sourceErr(t, err)
	if se.Status != http.StatusBadRequest || !strings.Contains(se.Endpoint, "token") || !strings.Contains(se.Message, "Invalid JWT Signature") {
		t.Fatalf("err = %#v", se)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Fatal("key material in error")
	}
}

func TestNotJSONAndTruncatedAnswers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sf.Fault
		want  string
		code  int
	}{
		{"html-200", sf.Fault{Match: "/drive/", Status: 200, ContentType: "text/html", Body: "<html><body>Sign in</body></html>"}, "not JSON", 200},
		{"html-502", sf.Fault{Match: "/values:batchGet", Status: 404, ContentType: "text/html; charset=UTF-8", Body: "<!DOCTYPE html><title>Error 404 (Not Found)</title>"}, "not JSON", 404},
		{"truncated", sf.Fault{Match: "/values:batchGet", Status: 200, ContentType: "application/json; charset=UTF-8", Body: `{"spreadsheetId":"x","valueRanges":[{"range":"A1`}, "truncated", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, portfolioSettings)
			seedPortfolio(t, e)
			e.fake.InjectFault(tc.fault)
			err := e.sync(false)
			se := sourceErr(t, err)
			if se.Status != tc.code || !strings.Contains(se.Message, tc.want) {
				t.Fatalf("err = %v", err)
			}
			if e.store.count() != 0 || e.store.cursor != nil {
				t.Fatal("a failed read wrote rows or a cursor")
			}
		})
	}
}

func TestThrottledThenSucceeds(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	var slept []time.Duration
	e.conn.Retry.Sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	e.fake.Throttle(2, 3*time.Second)
	e.mustSync()
	if e.store.count() != 5 {
		t.Fatalf("stored %d", e.store.count())
	}
	if got := e.stats.Throttled.Load(); got != 2 {
		t.Fatalf("throttled = %d, want 2", got)
	}
	if got := e.stats.Requests.Load(); got != 5 {
		t.Fatalf("requests = %d, want 3 + 2 retries", got)
	}
	if len(slept) != 2 || slept[0] != 3*time.Second {
		t.Fatalf("waits = %v, want Retry-After honoured", slept)
	}
}

func TestThrottleWithoutRetryAfterBacksOffWithCap(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	var slept []time.Duration
	e.conn.Retry.Sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	e.fake.Throttle(1000, 0) // a long outage
	err := e.sync(false)
	se := sourceErr(t, err)
	if se.Status != http.StatusTooManyRequests || !strings.Contains(se.Hint, "quota") {
		t.Fatalf("err = %v", err)
	}
	var total time.Duration
	for i, d := range slept {
		total += d
		if d > e.conn.Retry.MaxWait {
			t.Errorf("wait %d = %s over the cap", i, d)
		}
	}
	if len(slept) == 0 || len(slept) >= e.conn.Retry.MaxAttempts || total > e.conn.Retry.MaxTotalWait {
		t.Fatalf("waits = %v (total %s), want bounded exponential backoff", slept, total)
	}
	if len(slept) > 1 && slept[1] <= slept[0]/2 {
		t.Errorf("backoff does not grow: %v", slept)
	}
}

func TestPacingKeepsUnderQuota(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var slept time.Duration
	p := newPacer(2, func() time.Time { return now })
	sleep := func(ctx context.Context, d time.Duration) error { slept += d; now = now.Add(d); return nil }
	for range 5 {
		must(t, p.wait(context.Background(), sleep))
	}
	// 5 requests at 2 a minute: the 3rd waits a minute, the 5th another.
	if slept != 2*time.Minute {
		t.Fatalf("slept %s, want 2m", slept)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ settings, want string }{
		{"spreadsheets: []", "no spreadsheets"},
		{"spreadsheets:\n  - id: x\n    tabs:\n      - {tab: A}\n", "key is required"},
		{"spreadsheets:\n  - id: x\n    tabs:\n      - {tab: A, key: ID, entity: risks}\n", `entity "risks"`},
		{"spreadsheets:\n  - id: x\n    tabs:\n      - {tab: A, key: ID, types: {Due: weekday}}\n", "unknown column type"},
		{"spreadsheets:\n  - id: x\n    tabs:\n      - {tab: A, key: ID, colour: red}\n", "pmohub.yaml"},
		{"spreadsheets:\n  - id: x\n    tabs:\n      - {tab: A, key: ID, range: \"A!B\"}\n", "must not name the tab"},
	} {
		_, err := New(connectors.SourceConfig{Name: "p", Kind: "sheets", Auth: connectors.Auth{"api_key": "k"},
			Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(tc.settings)}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("settings %q: err = %v, want %q", tc.settings, err, tc.want)
		}
	}
	_, err := New(connectors.SourceConfig{Name: "p", Kind: "sheets", Settings: connectors.YAMLSettings{Text: []byte(portfolioSettings)}})
	if err == nil || !strings.Contains(err.Error(), "auth") {
		t.Errorf("no auth: err = %v", err)
	}
}

func TestMissingConfiguredColumnIsAnError(t *testing.T) {
	e := newEnv(t, `
spreadsheets:
  - id: 1PMOportfolioDEMO
    tabs:
      - {tab: RAID Log, key: ID, status_column: State}
`)
	seedPortfolio(t, e)
	err := e.sync(false)
	if err == nil || !strings.Contains(err.Error(), `column "State"`) || !strings.Contains(err.Error(), "RAID Log") {
		t.Fatalf("err = %v", err)
	}
}

func TestHeaderRowAndRange(t *testing.T) {
	e := newEnv(t, `
spreadsheets:
  - id: 1PMOportfolioDEMO
    tabs:
      - {tab: Tasks, key: Task ID, header_row: 3, range: "B3:D", types: {Points: number}}
`)
	must(t, e.fake.AddTab(demoID, "Tasks", [][]sf.Cell{
		{sf.T("Team tracker — do not edit above row 3")},
		nil,
		{sf.T("ignored"), sf.T("Task ID"), sf.T("Task"), sf.T("Points"), sf.T("outside range")},
		{sf.T("x"), sf.N(101), sf.T("Design"), sf.T("5"), sf.T("zzz")},
		{sf.T("x"), sf.T("102"), sf.T("Build"), sf.N(8)},
	}))
	e.mustSync()
	p := e.store.payload(t, e.rowID("Tasks", "101"))
	cells := p["cells"].(map[string]any)
	if p["row"] != 4.0 || cells["Points"] != 5.0 || len(cells) != 3 {
		t.Fatalf("payload = %v", p)
	}
	if e.store.payload(t, e.rowID("Tasks", "102"))["cells"].(map[string]any)["Points"] != 8.0 {
		t.Fatal("row 102")
	}
}

func TestTransportErrorHidesAPIKey(t *testing.T) {
	e := newEnv(t, portfolioSettings)
	seedPortfolio(t, e)
	e.conn = e.connector(connectors.Auth{"api_key": "test-key-123456"}, portfolioSettings)
	e.srv.Close() // connection refused: the transport error quotes the URL with ?key=
	e.conn.Retry.MaxAttempts = 2
	err := e.sync(false)
	se := sourceErr(t, err)
	if se.Status != 0 {
		t.Fatalf("status %d for a transport error", se.Status)
	}
	// The raw error does carry the key: the redaction is what keeps it out.
	var re *redactedError
	if !errors.As(err, &re) || !strings.Contains(re.err.Error(), "key=test-key-123456") {
		t.Fatalf("expected the raw error to quote the key, got %v", err)
	}
	for _, s := range []string{err.Error(), se.Err.Error(), errors.Unwrap(se).Error()} {
		if strings.Contains(s, "test-key-123456") {
			t.Fatalf("API key leaked: %s", s)
		}
	}
}
