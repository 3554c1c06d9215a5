package sheetsfake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pmohub/pmohub/connectors/tabular"
)

// Start serves the fake on a loopback port; close it with Server.Close. The connector's
// `url:` is Server.URL + "/".
func (f *Fake) Start() *httptest.Server {
	return httptest.NewServer(f)
}

// ServeHTTP answers Sheets v4 (`/v4/...`), Drive v3 (`/drive/v3/...`) and the OAuth token
// endpoint (`/token`).
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	f.serve(rec, r)
	f.mu.Lock()
	f.log = append(f.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status})
	f.mu.Unlock()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	if ft, ok := f.takeFault(r.URL.Path); ok {
		if ft.ContentType != "" {
			w.Header().Set("Content-Type", ft.ContentType)
		}
		w.WriteHeader(ft.Status)
		_, _ = w.Write([]byte(ft.Body))
		return
	}
	if r.URL.Path == "/token" {
		f.serveToken(w, r)
		return
	}
	if r.Method != http.MethodGet {
		googleError(w, http.StatusMethodNotAllowed, "Method not allowed by the fake.", "INVALID_ARGUMENT")
		return
	}
	if f.takeThrottle(w) {
		return
	}
	if !f.authorize(w, r) {
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/drive/v3/files/"):
		f.serveDriveFile(w, r, strings.TrimPrefix(r.URL.Path, "/drive/v3/files/"))
	case strings.HasPrefix(r.URL.Path, "/v4/spreadsheets/"):
		f.serveSheets(w, r, strings.TrimPrefix(r.URL.Path, "/v4/spreadsheets/"))
	default:
		googleError(w, http.StatusNotFound, "Not found: "+r.URL.Path, "NOT_FOUND")
	}
}

func (f *Fake) takeFault(path string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, ft := range f.faults {
		if ft.Match == "" || strings.Contains(path, ft.Match) {
			f.faults = append(f.faults[:i], f.faults[i+1:]...)
			return ft, true
		}
	}
	return Fault{}, false
}

func (f *Fake) takeThrottle(w http.ResponseWriter) bool {
	f.mu.Lock()
	n, ra := f.throttle, f.retryAfter
	if n > 0 {
		f.throttle--
	}
	f.mu.Unlock()
	if n <= 0 {
		return false
	}
	if ra > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
	}
	googleError(w, http.StatusTooManyRequests, "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.", "RESOURCE_EXHAUSTED")
	return true
}

// googleError writes Google's JSON error body.
func googleError(w http.ResponseWriter, code int, msg, status string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}

// driveError writes Drive v3's error body (with its `errors` list).
func driveError(w http.ResponseWriter, code int, msg, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"errors": []any{map[string]any{"message": msg, "domain": "global", "reason": reason, "location": "fileId", "locationType": "parameter"}},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (f *Fake) serveDriveFile(w http.ResponseWriter, r *http.Request, id string) {
	f.mu.Lock()
	s, ok := f.sheets[id]
	var file map[string]any
	if ok && !s.Denied {
		file = map[string]any{
			"kind": "drive#file", "id": s.ID, "name": s.Title,
			"mimeType":     "application/vnd.google-apps.spreadsheet",
			"version":      strconv.FormatInt(s.Version, 10), // int64 travels as a string
			"modifiedTime": s.Modified.UTC().Format("2006-01-02T15:04:05.000Z"),
		}
	}
	f.mu.Unlock()
	switch {
	case !ok:
		driveError(w, http.StatusNotFound, "File not found: "+id+".", "notFound")
		return
	case file == nil:
		driveError(w, http.StatusForbidden, "The user does not have sufficient permissions for file "+id+".", "insufficientFilePermissions")
		return
	}
	if fields := r.URL.Query().Get("fields"); fields != "" && fields != "*" {
		keep := map[string]any{}
		for _, k := range strings.Split(fields, ",") {
			if v, ok := file[strings.TrimSpace(k)]; ok {
				keep[strings.TrimSpace(k)] = v
			}
		}
		file = keep
	}
	writeJSON(w, file)
}

func (f *Fake) serveSheets(w http.ResponseWriter, r *http.Request, rest string) {
	id, sub, _ := strings.Cut(rest, "/")
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sheets[id]
	if !ok {
		googleError(w, http.StatusNotFound, "Requested entity was not found.", "NOT_FOUND")
		return
	}
	if s.Denied {
		googleError(w, http.StatusForbidden, "The caller does not have permission", "PERMISSION_DENIED")
		return
	}
	q := r.URL.Query()
	switch {
	case sub == "":
		f.serveMetadata(w, s, q)
	case sub == "values:batchGet":
		var out []any
		for _, rg := range q["ranges"] {
			vr, err := s.valueRange(rg, q)
			if err != nil {
				googleError(w, http.StatusBadRequest, "Unable to parse range: "+rg, "INVALID_ARGUMENT")
				return
			}
			out = append(out, vr)
		}
		writeJSON(w, map[string]any{"spreadsheetId": s.ID, "valueRanges": out})
	case strings.HasPrefix(sub, "values/"):
		rg, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath()[len("/v4/spreadsheets/"+id+"/"):], "values/"))
		if err != nil {
			rg = strings.TrimPrefix(sub, "values/")
		}
		vr, err := s.valueRange(rg, q)
		if err != nil {
			googleError(w, http.StatusBadRequest, "Unable to parse range: "+rg, "INVALID_ARGUMENT")
			return
		}
		writeJSON(w, vr)
	default:
		googleError(w, http.StatusNotFound, "Not found.", "NOT_FOUND")
	}
}

func (f *Fake) serveMetadata(w http.ResponseWriter, s *Spreadsheet, q url.Values) {
	withData := q.Get("includeGridData") == "true" || strings.Contains(q.Get("fields"), "data")
	ranges := map[string][]gridRange{}
	for _, rg := range q["ranges"] {
		g, err := parseA1(rg)
		if err != nil || s.tab(g.tab) == nil {
			googleError(w, http.StatusBadRequest, "Unable to parse range: "+rg, "INVALID_ARGUMENT")
			return
		}
		ranges[g.tab] = append(ranges[g.tab], g)
	}
	var sheets []any
	for i, t := range s.Tabs {
		if len(ranges) > 0 && ranges[t.Title] == nil {
			continue // with ranges, only the sheets they cover are returned
		}
		rows, cols := t.gridSize()
		sh := map[string]any{"properties": map[string]any{
			"sheetId": t.SheetID, "title": t.Title, "index": i, "sheetType": "GRID",
			"gridProperties": map[string]any{"rowCount": rows, "columnCount": cols},
		}}
		if withData {
			var data []any
			for _, g := range ranges[t.Title] {
				data = append(data, t.gridData(g, s.loc()))
			}
			sh["data"] = data
		}
		sheets = append(sheets, sh)
	}
	writeJSON(w, map[string]any{
		"spreadsheetId":  s.ID,
		"properties":     map[string]any{"title": s.Title, "locale": "en_US", "autoRecalc": "ON_CHANGE", "timeZone": s.TimeZone},
		"sheets":         sheets,
		"spreadsheetUrl": "https://docs.google.com/spreadsheets/d/" + s.ID + "/edit",
	})
}

func (s *Spreadsheet) loc() *time.Location {
	if l, err := time.LoadLocation(s.TimeZone); err == nil {
		return l
	}
	return time.UTC
}

// gridSize is the sheet's grid: a new sheet has 1000 rows and 26 columns.
func (t *Tab) gridSize() (rows, cols int) {
	rows, cols = max(len(t.Rows), 1000), 26
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	return rows, cols
}

func (t *Tab) clamp(g gridRange) gridRange {
	rows, cols := t.gridSize()
	if g.endRow < 0 || g.endRow > rows {
		g.endRow = rows
	}
	if g.endCol < 0 || g.endCol > cols {
		g.endCol = cols
	}
	return g
}

func (t *Tab) gridData(g gridRange, loc *time.Location) map[string]any {
	g = t.clamp(g)
	var rowData []any
	for r := g.startRow; r < g.endRow && r < len(t.Rows); r++ {
		var vals []any
		for c := g.startCol; c < g.endCol && c < len(t.Rows[r]); c++ {
			cell := t.Rows[r][c]
			v := map[string]any{}
			if cell.Value != nil {
				v["formattedValue"] = formatted(cell, loc)
				v["effectiveValue"] = effectiveValue(cell.Value)
			}
			if cell.Format != FormatNone {
				v["effectiveFormat"] = map[string]any{"numberFormat": map[string]any{"type": string(cell.Format)}}
			}
			vals = append(vals, v)
		}
		rowData = append(rowData, map[string]any{"values": vals})
	}
	d := map[string]any{"rowData": rowData}
	if g.startRow > 0 { // proto3 JSON omits zeros
		d["startRow"] = g.startRow
	}
	if g.startCol > 0 {
		d["startColumn"] = g.startCol
	}
	return d
}

func effectiveValue(v any) map[string]any {
	switch x := v.(type) {
	case float64:
		return map[string]any{"numberValue": x}
	case bool:
		return map[string]any{"boolValue": x}
	}
	return map[string]any{"stringValue": fmt.Sprint(v)}
}

// valueRange renders a range as values.get does: ragged rows (trailing empty cells
// omitted), trailing empty rows omitted, no `values` key when nothing is left.
func (s *Spreadsheet) valueRange(rg string, q url.Values) (map[string]any, error) {
	g, err := parseA1(rg)
	if err != nil {
		return nil, err
	}
	t := s.tab(g.tab)
	if t == nil {
		return nil, fmt.Errorf("no tab %q", g.tab)
	}
	g = t.clamp(g)
	render := q.Get("valueRenderOption")
	dtRender := q.Get("dateTimeRenderOption")
	loc := s.loc()
	var rows []any
	lastNonEmpty := -1
	for r := g.startRow; r < g.endRow && r < len(t.Rows); r++ {
		var vals []any
		last := -1
		for c := g.startCol; c < g.endCol && c < len(t.Rows[r]); c++ {
			cell := t.Rows[r][c]
			vals = append(vals, render1(cell, render, dtRender, loc))
			if cell.Value != nil && cell.Value != "" {
				last = len(vals) - 1
			}
		}
		vals = vals[:last+1]
		if vals == nil {
			vals = []any{}
		}
		rows = append(rows, vals)
		if last >= 0 {
			lastNonEmpty = len(rows) - 1
		}
	}
	rows = rows[:lastNonEmpty+1]
	vr := map[string]any{"range": a1(t.Title, g.startRow, g.endRow, g.startCol, g.endCol), "majorDimension": "ROWS"}
	if len(rows) > 0 {
		vr["values"] = rows
	}
	return vr, nil
}

func render1(c Cell, render, dtRender string, loc *time.Location) any {
	if c.Value == nil {
		return ""
	}
	switch render {
	case "FORMULA":
		if c.Formula != "" {
			return c.Formula
		}
		fallthrough
	case "UNFORMATTED_VALUE":
		if dtRender == "FORMATTED_STRING" && (c.Format == FormatDate || c.Format == FormatDateTime) {
			return formatted(c, loc)
		}
		return c.Value
	}
	return formatted(c, loc)
}

// formatted is FORMATTED_VALUE: what the user sees (en_US-like formats).
func formatted(c Cell, loc *time.Location) string {
	switch v := c.Value.(type) {
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	case float64:
		switch c.Format {
		case FormatPercent:
			return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
		case FormatCurrency:
			return "$" + strconv.FormatFloat(v, 'f', 2, 64)
		case FormatDate:
			if t, ok := tabular.SerialTime(v, loc); ok {
				return t.Format("2006-01-02")
			}
		case FormatDateTime:
			if t, ok := tabular.SerialTime(v, loc); ok {
				return t.Format("2006-01-02 15:04:05")
			}
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	}
	return fmt.Sprint(c.Value)
}
