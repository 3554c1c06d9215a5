package smartsheet

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"

	ss "github.com/pmohub/pmohub/connectors/smartsheet/smartsheetfake"
)

const fixtureDir = "../../../shared/fixtures/smartsheet"

// fixture reads a fixture; WireMock stubs are unwrapped to their response body.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	var stub struct {
		Response struct {
			JSONBody json.RawMessage `json:"jsonBody"`
		} `json:"response"`
	}
	if json.Unmarshal(b, &stub) == nil && len(stub.Response.JSONBody) > 0 {
		return stub.Response.JSONBody
	}
	return b
}

func keySet(t *testing.T, b []byte) map[string]bool {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// missing lists keys of want the fake's answer lacks, ignoring the ones listed.
func missing(want, got map[string]bool, ignore ...string) []string {
	skip := map[string]bool{}
	for _, k := range ignore {
		skip[k] = true
	}
	var out []string
	for k := range want {
		if !got[k] && !skip[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestFixturesDecodeIntoClientTypes(t *testing.T) {
	var sheet Sheet
	if err := json.Unmarshal(fixture(t, "get-sheet-columns.java-sdk.json"), &sheet); err != nil {
		t.Fatal(err)
	}
	v, err := newSheetView("plans", SheetConfig{Entity: entityWorkItems}, &sheet)
	if err != nil {
		t.Fatal(err)
	}
	if v.primary.Title != "Task Name" || v.status.Title != "Status" || v.assignee.Title != "Assigned To" || v.duration.Title != "Duration" {
		t.Errorf("recognised columns: primary %q status %q assignee %q duration %q", v.primary.Title, v.status.Title, v.assignee.Title, v.duration.Title)
	}

	var row Row
	if err := json.Unmarshal(fixture(t, "get-row-typed-cells.java-sdk.json"), &row); err != nil {
		t.Fatal(err)
	}
	cols := map[int64]Column{}
	for _, c := range row.Cells {
		cols[c.ColumnID] = Column{ID: c.ColumnID, Type: typeOfFixtureCell(t, row, c.ColumnID)}
	}
	want := map[int64]any{
		6033204147709828: true,
		3781404334024580: Contact{Email: "a@batie.com", Name: "Test Account"},
		7713278383155076: "2014-03-13",
		2083778848941956: "a",
		4907304240867204: "Cell1",
	}
	for i := range row.Cells {
		c := row.Cells[i]
		col := cols[c.ColumnID]
		got, _ := decodeCell(&col, &c)
		if w, ok := want[c.ColumnID]; ok && got != w {
			t.Errorf("%s cell: %#v, want %#v", col.Type, got, w)
		}
	}

	var pred struct {
		Result []Row `json:"result"`
	}
	if err := json.Unmarshal(fixture(t, "add-rows-predecessor-objectvalue.sdk-tests-wiremock.json"), &pred); err != nil {
		t.Fatal(err)
	}
	pc := pred.Result[0].Cells[4]
	got, _ := decodeCell(&Column{ID: 2, Type: "PREDECESSOR"}, &pc)
	ps, _ := got.([]Predecessor)
	lag := 1.5*5 + 2.5 + 3.5/8 + 4.5/480 + (5.5+0.006)/(3600*8)
	if len(ps) != 1 || ps[0].RowID != 3 || ps[0].Type != "FS" || math.Abs(ps[0].LagDays-lag) > 1e-5 {
		t.Errorf("predecessors %+v, want row 3 FS lag %.6f days", ps, lag)
	}

	var hist Page[Cell]
	if err := json.Unmarshal(fixture(t, "cell-history.java-sdk.json"), &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist.Data) != 3 || hist.Data[0].ModifiedBy.Email != "jane.smart@smartsheet.com" || hist.Data[2].ModifiedAt.Day() != 22 {
		t.Errorf("cell history %+v", hist.Data)
	}
	var list Page[SheetSummary]
	if err := json.Unmarshal(fixture(t, "list-sheets.java-sdk.json"), &list); err != nil || list.TotalCount != 2 || list.Data[0].ID != 4583173393803140 {
		t.Errorf("list sheets %+v %v", list, err)
	}
	for name, code := range map[string]int{"error-1004-not-authorized.java-sdk.json": 1004, "error-1054-400.sdk-tests-wiremock.json": 1054} {
		var e APIError
		if err := json.Unmarshal(fixture(t, name), &e); err != nil || e.ErrorCode != code || e.Message == "" {
			t.Errorf("%s: %+v %v", name, e, err)
		}
	}
	var full Sheet
	if err := json.Unmarshal(fixture(t, "get-sheet-with-rows-cells.backup-java.json"), &full); err != nil {
		t.Fatal(err)
	}
	fv, err := newSheetView("plans", SheetConfig{Entity: entityWorkItems}, &full)
	if err != nil {
		t.Fatal(err)
	}
	p := fv.payload(&full.Rows[0], hierarchy(full.Rows), map[int64]string{full.Rows[0].ID: "1316900727744388"})
	if p.Title != "un" || p.Cells["Column6"] != "six" || len(p.Cells) != 6 {
		t.Errorf("backup sheet payload %+v", p)
	}
}

// typeOfFixtureCell reads the per-cell "type" the older API put on cells.
func typeOfFixtureCell(t *testing.T, _ Row, id int64) string {
	t.Helper()
	var raw struct {
		Cells []struct {
			ColumnID int64  `json:"columnId"`
			Type     string `json:"type"`
		} `json:"cells"`
	}
	_ = json.Unmarshal(fixture(t, "get-row-typed-cells.java-sdk.json"), &raw)
	for _, c := range raw.Cells {
		if c.ColumnID == id {
			return c.Type
		}
	}
	return ""
}

// TestFakeAnswersLikeTheRealAPI compares the fake's payload keys with the real ones.
func TestFakeAnswersLikeTheRealAPI(t *testing.T) {
	f := newFake()
	p := addPlan(t, f, "Plan")
	srv := f.Start()
	defer srv.Close()
	get := func(path string) []byte {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/2.0"+path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	body := get(fmt.Sprintf("/sheets/%d?include=objectValue,writerInfo&level=2", p.sheet))
	realSheet := keySet(t, fixture(t, "get-sheet-with-rows-cells.backup-java.json"))
	if m := missing(realSheet, keySet(t, body), "discussions", "attachments"); len(m) > 0 {
		t.Errorf("fake sheet lacks %v", m)
	}
	var fakeSheet struct {
		Columns []json.RawMessage `json:"columns"`
		Rows    []json.RawMessage `json:"rows"`
	}
	json.Unmarshal(body, &fakeSheet)
	var realCols struct {
		Columns []json.RawMessage `json:"columns"`
	}
	json.Unmarshal(fixture(t, "list-columns.java-sdk.json"), &struct{ Data *[]json.RawMessage }{&realCols.Columns})
	if m := missing(keySet(t, realCols.Columns[1]), keySet(t, fakeSheet.Columns[0])); len(m) > 0 {
		t.Errorf("fake column lacks %v", m)
	}
	realRow := keySet(t, fixture(t, "get-row-typed-cells.java-sdk.json"))
	if m := missing(realRow, keySet(t, fakeSheet.Rows[1]), "version", "accessLevel"); len(m) > 0 {
		t.Errorf("fake row lacks %v", m)
	}
	list := get("/sheets")
	if m := missing(keySet(t, fixture(t, "list-sheets.java-sdk.json")), keySet(t, list)); len(m) > 0 {
		t.Errorf("fake sheet list lacks %v", m)
	}
	var e APIError
	json.Unmarshal(get("/sheets/1"), &e)
	if e.ErrorCode != 1006 || e.RefID == "" {
		t.Errorf("fake error body %+v", e)
	}
	real := keySet(t, fixture(t, "error-1054-400.sdk-tests-wiremock.json"))
	if m := missing(real, keySet(t, get("/sheets/1"))); len(m) > 0 {
		t.Errorf("fake error lacks %v", m)
	}
	hist := get(fmt.Sprintf("/sheets/%d/rows/%d/columns/%d/history?include=columnType", p.sheet, p.design, f.ColumnID(p.sheet, "Status")))
	var fh, rh Page[json.RawMessage]
	json.Unmarshal(hist, &fh)
	json.Unmarshal(fixture(t, "cell-history.java-sdk.json"), &rh)
	if m := missing(keySet(t, rh.Data[0]), keySet(t, fh.Data[0])); len(m) > 0 {
		t.Errorf("fake history entry lacks %v", m)
	}
	_ = ss.Contact{}
}
