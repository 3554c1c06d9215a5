package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func do(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Pmohub-User", "ann")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if b[0] == '[' {
		var l []any
		_ = json.Unmarshal(b, &l)
		out = map[string]any{"list": l}
	} else if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	return res.StatusCode, out
}

func jsonText(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestHTTPAPI(t *testing.T) {
	f := newFixture(t, 8)
	srv := httptest.NewServer(f.svc.Handler(nil))
	defer srv.Close()

	code, out := do(t, srv, "GET", "/api/v1/mappings/sources", "")
	if l := out["list"].([]any); code != 200 || len(l) != 1 || l[0].(map[string]any)["origin"] != "built-in" {
		t.Fatalf("%d %v", code, out)
	}
	code, out = do(t, srv, "GET", "/api/v1/mappings/sources/tracker", "")
	if code != 200 || out["text"] != builtin {
		t.Fatalf("%d %v", code, out)
	}
	code, out = do(t, srv, "POST", "/api/v1/mappings/sources/tracker/validate", `{"text":"entities: {work_items: {stream: items, fields: {item_id: {pth: x}}}}"}`)
	if probs := out["problems"].([]any); code != 200 || out["valid"] != false || probs[0].(map[string]any)["line"].(float64) != 1 {
		t.Fatalf("%d %v", code, out)
	}
	code, out = do(t, srv, "POST", "/api/v1/mappings/sources/tracker/preview", `{"text":`+jsonText(edited)+`,"limit":2}`)
	if code != 200 || out["diff"].([]any)[0].(map[string]any)["changed"].(float64) != 8 {
		t.Fatalf("%d %v", code, out)
	}
	code, out = do(t, srv, "POST", "/api/v1/mappings/sources/tracker/apply", `{"text":"extends: default\nentities: {work_items: {fields: {title: {pth: x}}}}"}`)
	if code != http.StatusUnprocessableEntity || len(out["problems"].([]any)) == 0 {
		t.Fatalf("%d %v", code, out)
	}
	// Valid as a file, but the stored records hold Blocked, which it would leave empty.
	code, out = do(t, srv, "POST", "/api/v1/mappings/sources/tracker/apply", `{"text":"extends: default\nentities: {work_items: {fields: {status_category: {from: status, values: {Open: todo, Doing: in_progress, Done: done}}}}}"}`)
	if probs, _ := out["problems"].([]any); code != http.StatusUnprocessableEntity || len(probs) != 1 || !strings.Contains(probs[0].(map[string]any)["message"].(string), `"Blocked"`) {
		t.Fatalf("%d %v", code, out)
	}
	code, out = do(t, srv, "POST", "/api/v1/mappings/sources/tracker/apply", `{"text":`+jsonText(edited)+`,"note":"map Blocked"}`)
	if code != 200 || out["version"].(float64) != 2 || out["note"] != "map Blocked" {
		t.Fatalf("%d %v", code, out)
	}
	code, out = do(t, srv, "GET", "/api/v1/mappings/sources/tracker/history", "")
	if l := out["list"].([]any); code != 200 || len(l) != 2 || l[0].(map[string]any)["applied_by"] != "ann" {
		t.Fatalf("%d %v", code, out)
	}
	code, out = do(t, srv, "GET", "/api/v1/mappings/sources/tracker/history/1", "")
	if code != 200 || out["text"] != builtin {
		t.Fatalf("%d %v", code, out)
	}
	code, _ = do(t, srv, "GET", "/api/v1/mappings/sources/tracker/history/7", "")
	if code != 404 {
		t.Fatal(code)
	}
	code, out = do(t, srv, "POST", "/api/v1/mappings/sources/tracker/rollback", `{}`)
	if code != 200 || out["version"].(float64) != 3 {
		t.Fatalf("%d %v", code, out)
	}
	code, _ = do(t, srv, "GET", "/api/v1/mappings/sources/nope", "")
	if code != 404 {
		t.Fatal(code)
	}
	// A form post (no JSON content type) from another site is refused.
	res, err := http.Post(srv.URL+"/api/v1/mappings/sources/tracker/rollback", "application/x-www-form-urlencoded", strings.NewReader("to=1"))
	if err != nil || res.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatal(res.StatusCode, err)
	}
	code, out = do(t, srv, "GET", "/api/v1/mappings/schema", "")
	if code != 200 || out["title"] != "pmohub mapping" {
		t.Fatalf("%d %v", code, out)
	}
	res, err = http.Get(srv.URL + "/admin/mappings/")
	if err != nil || res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatal(res.StatusCode, err)
	}
}
