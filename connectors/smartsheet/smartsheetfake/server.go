package smartsheetfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ServeHTTP answers the API under /2.0/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status})
		s.mu.Unlock()
	}()
	s.mu.Lock()
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		s.mu.Unlock()
		rec.Header().Set("Content-Type", f.contentType)
		rec.WriteHeader(f.status)
		_, _ = rec.Write([]byte(f.body))
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		s.mu.Unlock()
		s.fail(rec, http.StatusUnauthorized, 1001, "An Access Token is required.")
		return
	}
	if _, valid := s.tokens[tok]; !valid {
		s.mu.Unlock()
		s.fail(rec, http.StatusUnauthorized, 1002, "Your Access Token is invalid.")
		return
	}
	if s.throttle > 0 {
		s.throttle--
		ra := s.retryAfter
		s.mu.Unlock()
		if ra != "" {
			rec.Header().Set("Retry-After", ra)
		}
		s.fail(rec, http.StatusTooManyRequests, 4003, "Rate limit exceeded.")
		return
	}
	s.mu.Unlock()
	s.mux().ServeHTTP(rec, r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (s *Server) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /2.0/sheets", s.listSheets)
	m.HandleFunc("GET /2.0/sheets/{id}", s.getSheet)
	m.HandleFunc("GET /2.0/sheets/{id}/version", s.getVersion)
	m.HandleFunc("GET /2.0/sheets/{id}/rows/{row}/columns/{col}/history", s.getHistory)
	m.HandleFunc("GET /2.0/workspaces", s.listWorkspaces)
	m.HandleFunc("GET /2.0/workspaces/{id}", s.getWorkspace)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, 1006, "Not Found")
	})
	return m
}

// fail writes an error body in the API's shape. It takes no lock: handlers call it
// while holding s.mu.
func (s *Server) fail(w http.ResponseWriter, status, code int, msg string) {
	ref := fmt.Sprintf("fake%06x", s.refSeq.Add(1))
	writeJSON(w, status, map[string]any{"errorCode": code, "message": msg, "refId": ref})
}

// historyCell is a cell of a cell-history answer: the cell and who changed it when.
type historyCell struct {
	cellOut
	ModifiedAt string `json:"modifiedAt"`
	ModifiedBy any    `json:"modifiedBy"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// sheet finds a readable sheet or writes the API's error.
func (s *Server) sheet(w http.ResponseWriter, r *http.Request) *Sheet {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, http.StatusBadRequest, 1018, "The value for id is not valid.")
		return nil
	}
	sh := s.sheets[id]
	if sh == nil {
		s.fail(w, http.StatusNotFound, 1006, "Not Found")
		return nil
	}
	if sh.Private {
		s.fail(w, http.StatusForbidden, 1004, "You are not authorized to perform this action.")
		return nil
	}
	return sh
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.sheet(w, r); sh != nil {
		writeJSON(w, http.StatusOK, map[string]any{"version": sh.Version})
	}
}

// paging reads page and pageSize as the index endpoints do.
func paging(q map[string][]string, n int) (page, size, from, to int) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	page, _ = strconv.Atoi(get("page"))
	size, _ = strconv.Atoi(get("pageSize"))
	if page < 1 {
		page = 1
	}
	if size < 1 {
		size = 100
	}
	if get("includeAll") == "true" {
		page, size = 1, max(n, 1)
	}
	from = min((page-1)*size, n)
	to = min(from+size, n)
	return page, size, from, to
}

func listBody(page, size, n int, data []any) map[string]any {
	return map[string]any{"pageNumber": page, "pageSize": size, "totalPages": (n + size - 1) / size, "totalCount": n, "data": data}
}

func (s *Server) listSheets(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Sheet
	for _, id := range s.order {
		if sh := s.sheets[id]; sh != nil && !sh.Private {
			all = append(all, sh)
		}
	}
	page, size, from, to := paging(r.URL.Query(), len(all))
	data := []any{}
	for _, sh := range all[from:to] {
		data = append(data, sheetSummary(sh))
	}
	writeJSON(w, http.StatusOK, listBody(page, size, len(all), data))
}

func sheetSummary(sh *Sheet) map[string]any {
	return map[string]any{
		"id": sh.ID, "name": sh.Name, "accessLevel": "OWNER", "permalink": permalink(sh.ID, 0),
		"createdAt": stamp(sh.CreatedAt), "modifiedAt": stamp(sh.ModifiedAt),
	}
}

func permalink(sheetID, rowID int64) string {
	if rowID != 0 {
		return fmt.Sprintf("https://app.smartsheet.com/sheets/s%d?rowId=%d", sheetID, rowID)
	}
	return fmt.Sprintf("https://app.smartsheet.com/sheets/s%d", sheetID)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	page, size, from, to := paging(r.URL.Query(), len(s.workspaces))
	data := []any{}
	for _, ws := range s.workspaces[from:to] {
		data = append(data, map[string]any{"id": ws.ID, "name": ws.Name, "accessLevel": "OWNER", "permalink": fmt.Sprintf("https://app.smartsheet.com/workspaces/w%d", ws.ID)})
	}
	writeJSON(w, http.StatusOK, listBody(page, size, len(s.workspaces), data))
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, ws := range s.workspaces {
		if ws.ID != id {
			continue
		}
		sheets := []any{}
		for _, sid := range ws.SheetIDs {
			// A token only sees the sheets shared with it.
			if sh := s.sheets[sid]; sh != nil && !sh.Private {
				sheets = append(sheets, sheetSummary(sh))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": ws.ID, "name": ws.Name, "accessLevel": "OWNER", "sheets": sheets, "folders": []any{}})
		return
	}
	s.fail(w, http.StatusNotFound, 1006, "Not Found")
}

func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.sheet(w, r)
	if sh == nil {
		return
	}
	rowID, _ := strconv.ParseInt(r.PathValue("row"), 10, 64)
	colID, _ := strconv.ParseInt(r.PathValue("col"), 10, 64)
	ri := sh.rowIndex(rowID)
	var col *Column
	for _, c := range sh.Columns {
		if c.ID == colID {
			col = c
		}
	}
	if ri < 0 || col == nil {
		s.fail(w, http.StatusNotFound, 1006, "Not Found")
		return
	}
	hist := sh.history[[2]int64{rowID, colID}]
	page, size, from, to := paging(r.URL.Query(), len(hist))
	data := []any{}
	// Newest first, as the API answers.
	for i := len(hist) - 1 - from; i >= len(hist)-to; i-- {
		h := hist[i]
		row := &Row{ID: rowID, Cells: map[int64]any{colID: h.Value}}
		cell, ok := sh.renderCell(col, row, renderOpts{level: 2, objectValue: true, columnType: true})
		if !ok {
			cell = cellOut{ColumnID: colID, ColumnType: col.Type}
		}
		data = append(data, historyCell{cellOut: cell, ModifiedAt: stamp(h.ModifiedAt),
			ModifiedBy: map[string]any{"email": h.ModifiedBy.Email, "name": h.ModifiedBy.Name}})
	}
	writeJSON(w, http.StatusOK, listBody(page, size, len(hist), data))
}
