package sheetsfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

const fixtures = "../../../../shared/fixtures/sheets/"

// cassette reads a gspread VCR cassette's interactions.
func cassette(t *testing.T, name string) []struct {
	Request struct {
		Method, URI string
	}
	Response struct {
		Status struct{ Code int }
		Body   struct{ String string }
	}
} {
	t.Helper()
	b, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Skipf("fixtures not available: %v", err)
	}
	var c struct {
		Interactions []struct {
			Request struct {
				Method, URI string
			}
			Response struct {
				Status struct{ Code int }
				Body   struct{ String string }
			}
		}
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.Interactions
}

// keyShape lists the key paths of a JSON value ("valueRanges[].range"), so the fake's
// answers can be compared with recorded ones.
func keyShape(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			out[prefix+"."+k] = true
			keyShape(vv, prefix+"."+k, out)
		}
	case []any:
		for _, vv := range x {
			keyShape(vv, prefix+"[]", out)
		}
	}
}

func shape(t *testing.T, body string) map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v in %q", err, body)
	}
	out := map[string]bool{}
	keyShape(v, "", out)
	return out
}

func get(t *testing.T, f *Fake, path string) (int, string) {
	t.Helper()
	srv := f.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// fixtureFake rebuilds the spreadsheet of the render-options cassette: A1:D2 written with
// USER_ENTERED [[=4/2, 2020-01-01, string, 53], [=3/2, 0.12, 1999-01-02]].
func fixtureFake() *Fake {
	const renderID = "1f7zKlUAxEFe6q2jbUe3UNQDbMZyt6EQvoqjs_dxK6Ro"
	f := New(func() time.Time { return time.Date(2023, 7, 25, 15, 39, 30, 0, time.UTC) })
	f.DisableAuth()
	f.AddSpreadsheet(renderID, "Test")
	_ = f.AddTab(renderID, "Sheet1", [][]Cell{
		{{Value: 2.0, Formula: "=4/2"}, D(2020, 1, 1), T("string"), N(53)},
		{{Value: 1.5, Formula: "=3/2"}, N(0.12), D(1999, 1, 2)},
	})
	return f
}

func TestValuesMatchRecordedRenderOptions(t *testing.T) {
	f := fixtureFake()
	compared := 0
	defer func() {
		if compared != 3 {
			t.Errorf("compared %d recorded answers, want 3 (default, UNFORMATTED_VALUE, FORMULA)", compared)
		}
	}()
	for _, in := range cassette(t, "values-get-render-options.gspread-cassette.json") {
		u, _ := url.Parse(in.Request.URI)
		if in.Request.Method != "GET" || !strings.Contains(u.Path, "/values/") || !strings.Contains(in.Response.Body.String, `"values"`) {
			continue
		}
		compared++
		status, body := get(t, f, u.EscapedPath()+"?"+u.RawQuery)
		if status != in.Response.Status.Code {
			t.Fatalf("%s: status %d, recorded %d", u, status, in.Response.Status.Code)
		}
		var got, want map[string]any
		_ = json.Unmarshal([]byte(body), &got)
		_ = json.Unmarshal([]byte(in.Response.Body.String), &want)
		if !reflect.DeepEqual(got["values"], want["values"]) {
			t.Errorf("%s %s:\n got  %v\n want %v", in.Request.Method, u.RawQuery, got["values"], want["values"])
		}
		if got["majorDimension"] != "ROWS" || !reflect.DeepEqual(shape(t, body), shape(t, in.Response.Body.String)) {
			t.Errorf("shape differs: %s vs %s", body, in.Response.Body.String)
		}
	}
}

func TestEmptyRangeHasNoValuesKey(t *testing.T) {
	f := New(nil)
	f.DisableAuth()
	f.AddSpreadsheet("s1", "Test")
	_ = f.AddTab("s1", "Sheet1", nil)
	_, body := get(t, f, "/v4/spreadsheets/s1/values/%27Sheet1%27%21A1%3AD2")
	var rec string
	for _, in := range cassette(t, "values-get-render-options.gspread-cassette.json") {
		if strings.HasSuffix(in.Request.URI, "A1%3AD2") && in.Request.Method == "GET" {
			rec = in.Response.Body.String
		}
	}
	if !reflect.DeepEqual(shape(t, body), shape(t, rec)) || strings.Contains(body, "values\"") {
		t.Fatalf("empty range: %s, recorded %s", body, rec)
	}
}

func TestBatchGetMatchesRecordedShape(t *testing.T) {
	f := New(nil)
	f.DisableAuth()
	f.AddSpreadsheet("s1", "Test")
	_ = f.AddTab("s1", "🌵 test_values_batch_get 1", [][]Cell{{T("🍇"), T("🍉"), T("🍋")}, {T("🍐"), T("🍎"), T("🍓")}})
	for _, in := range cassette(t, "values-batchget.gspread-cassette.json") {
		u, _ := url.Parse(in.Request.URI)
		if !strings.HasSuffix(u.Path, "values:batchGet") {
			continue
		}
		_, body := get(t, f, "/v4/spreadsheets/s1/values:batchGet?"+u.RawQuery)
		var got, want struct {
			ValueRanges []struct {
				Values [][]any
			}
		}
		_ = json.Unmarshal([]byte(body), &got)
		_ = json.Unmarshal([]byte(in.Response.Body.String), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("batchGet values:\n got  %v\n want %v", got, want)
		}
		if !reflect.DeepEqual(shape(t, body), shape(t, in.Response.Body.String)) {
			t.Errorf("batchGet shape: %s", body)
		}
		return
	}
	t.Fatal("no batchGet in the cassette")
}

func TestErrorBodiesMatchRecorded(t *testing.T) {
	f := New(nil)
	f.DisableAuth()
	f.AddSpreadsheet("private", "P")
	_ = f.Deny("private", true)
	cases := map[string]string{
		"error-404-not-found.gspread-cassette.json":         "/v4/spreadsheets/test?includeGridData=false",
		"error-403-permission-denied.gspread-cassette.json": "/v4/spreadsheets/private?includeGridData=false",
	}
	for file, path := range cases {
		var rec string
		var code int
		for _, in := range cassette(t, file) {
			if in.Response.Status.Code >= 400 {
				rec, code = in.Response.Body.String, in.Response.Status.Code
			}
		}
		status, body := get(t, f, path)
		var got, want any
		_ = json.Unmarshal([]byte(body), &got)
		_ = json.Unmarshal([]byte(rec), &want)
		if status != code || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d %s, recorded %d %s", file, status, body, code, rec)
		}
	}
}

func TestMetadataMatchesRecordedKeys(t *testing.T) {
	f := fixtureFake()
	_, body := get(t, f, "/v4/spreadsheets/1f7zKlUAxEFe6q2jbUe3UNQDbMZyt6EQvoqjs_dxK6Ro?includeGridData=false")
	got := shape(t, body)
	var rec string
	for _, in := range cassette(t, "spreadsheets-get-metadata.gspread-cassette.json") {
		if strings.Contains(in.Request.URI, "includeGridData=false") && in.Response.Status.Code == 200 {
			rec = in.Response.Body.String
		}
	}
	want := shape(t, rec)
	// The fake answers a subset (no formats or themes); every key it sends must be real.
	var extra []string
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Fatalf("fake metadata keys not in the recorded answer: %v", extra)
	}
	for _, k := range []string{".spreadsheetId", ".properties.title", ".properties.timeZone", ".sheets[].properties.sheetId", ".sheets[].properties.title", ".sheets[].properties.gridProperties.rowCount"} {
		if !got[k] {
			t.Errorf("fake metadata lacks %s", k)
		}
	}
}

func TestVersionMovesOnEveryEditAndRaggedRows(t *testing.T) {
	f := New(nil)
	f.DisableAuth()
	f.AddSpreadsheet("s", "S")
	_ = f.AddTab("s", "T", [][]Cell{{T("a"), T("b"), T("c")}, {T("1"), Empty, Empty}, {Empty, Empty}, {Empty, T("x")}, {}})
	v := f.Version("s")
	_ = f.SetCell("s", "T", 2, 1, T("y"))
	if f.Version("s") != v+1 {
		t.Fatalf("version %d after edit, was %d", f.Version("s"), v)
	}
	_, body := get(t, f, "/v4/spreadsheets/s/values/T")
	var vr struct{ Values [][]any }
	_ = json.Unmarshal([]byte(body), &vr)
	want := [][]any{{"a", "b", "c"}, {"1", "y"}, {}, {"", "x"}}
	if !reflect.DeepEqual(vr.Values, want) {
		t.Fatalf("values = %#v, want ragged %#v", vr.Values, want)
	}
	_, drive := get(t, f, "/drive/v3/files/s?fields=version,modifiedTime")
	if !strings.Contains(drive, `"version":"`) {
		t.Fatalf("drive version must be a JSON string (int64): %s", drive)
	}
}

func TestA1Parsing(t *testing.T) {
	for in, want := range map[string]gridRange{
		"Sheet1":          {tab: "Sheet1", endRow: -1, endCol: -1},
		"'RAID Log'!A2:F": {tab: "RAID Log", startRow: 1, startCol: 0, endRow: -1, endCol: 6},
		"'it''s'!B3:C10":  {tab: "it's", startRow: 2, startCol: 1, endRow: 10, endCol: 3},
		"T!2:51":          {tab: "T", startRow: 1, endRow: 51, endCol: -1},
		"'🌵 x'!A:A":       {tab: "🌵 x", endRow: -1, endCol: 1},
	} {
		got, err := parseA1(in)
		if err != nil || got != want {
			t.Errorf("parseA1(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}

func FuzzParseA1(f *testing.F) {
	for _, s := range []string{"Sheet1", "'RAID Log'!A2:F", "'it''s'!B3:C10", "T!2:51", "'", "!A1", "T!ZZZZ99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := parseA1(s)
		if err != nil {
			return
		}
		if g.startRow < 0 || g.startCol < 0 || (g.endRow >= 0 && g.endRow < 0) {
			t.Fatalf("bad range %+v from %q", g, s)
		}
	})
}
