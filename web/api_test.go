package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pmohub/pmohub/warehouse/metrics"
	"github.com/pmohub/pmohub/warehouse/metrics/metricstest"
	"github.com/pmohub/pmohub/warehouse/whtest"
	"github.com/pmohub/pmohub/web"
)

func get(t *testing.T, c *http.Client, url, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s: %v: %s", url, err, body)
		}
	}
	return res.StatusCode
}

func TestAPI(t *testing.T) {
	w := metricstest.Seed(t)
	reg := prometheus.NewRegistry()
	srv, err := web.New(web.Options{Metrics: metricstest.Reader(w), Token: "s3cret-token", Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	c := ts.Client()
	const tok = "s3cret-token"

	var e struct {
		Error string `json:"error"`
	}
	for _, path := range []string{"/api/v1/portfolio", "/healthz", "/metrics"} {
		if code := get(t, c, ts.URL+path, "", &e); code != 401 || e.Error == "" {
			t.Errorf("%s without the token: %d %q", path, code, e.Error)
		}
		if code := get(t, c, ts.URL+path, "wrong", nil); code != 401 {
			t.Errorf("%s with a wrong token: %d", path, code)
		}
	}

	var p metrics.Portfolio
	if code := get(t, c, ts.URL+"/api/v1/portfolio", tok, &p); code != 200 || len(p.Projects) != 3 {
		t.Fatalf("portfolio: %d, %d projects", code, len(p.Projects))
	}
	var d metrics.ProjectDetail
	if code := get(t, c, ts.URL+"/api/v1/projects/jira:A", tok, &d); code != 200 || d.Name != "Apollo" || len(d.OverdueItems) != 1 {
		t.Errorf("project: %d %+v", code, d.ProjectSummary)
	}
	if code := get(t, c, ts.URL+"/api/v1/projects/nope", tok, &e); code != 404 || !strings.Contains(e.Error, "no such project") {
		t.Errorf("unknown project: %d %q", code, e.Error)
	}
	var m struct {
		Value metrics.Series `json:"value"`
	}
	if code := get(t, c, ts.URL+"/api/v1/metrics/throughput?project=jira:A&from=2026-02-02&to=2026-03-02", tok, &m); code != 200 ||
		len(m.Value.Buckets) != 4 || m.Value.Buckets[3].Items != 2 || m.Value.Buckets[2].Items != 0 {
		t.Errorf("throughput: %d %+v", code, m.Value)
	}
	for url, want := range map[string]int{
		"/api/v1/metrics/velocity":                   404,
		"/api/v1/metrics/throughput?interval=decade": 400,
		"/api/v1/metrics/throughput?from=yesterday":  400,
		"/api/v1/items?stale=maybe":                  400,
		"/api/v1/items?status_category=blocked":      400,
		"/api/v1/nothing":                            404,
		"/api/v1/metrics/cycle_time?project=jira:A":  200,
		"/api/v1/metrics/health":                     200,
	} {
		var body map[string]any
		if code := get(t, c, ts.URL+url, tok, &body); code != want || (want != 200 && body["error"] == nil) {
			t.Errorf("%s: %d %v, want %d", url, code, body, want)
		}
	}
	var items struct {
		metrics.ItemPage
		Next string `json:"next"`
	}
	if code := get(t, c, ts.URL+"/api/v1/items?status_category=in_progress&limit=1", tok, &items); code != 200 || items.Total != 2 ||
		len(items.Items) != 1 || !strings.Contains(items.Next, "offset=1") {
		t.Errorf("items page: %d %+v", code, items)
	}
	var next struct {
		metrics.ItemPage
		Next string `json:"next"`
	}
	if code := get(t, c, ts.URL+items.Next, tok, &next); code != 200 || len(next.Items) != 1 || next.Items[0].ID == items.Items[0].ID || next.Next != "" {
		t.Errorf("items next page: %d %+v", code, next)
	}
	var src struct {
		Sources []metrics.SourceStatus `json:"sources"`
	}
	if code := get(t, c, ts.URL+"/api/v1/sources", tok, &src); code != 200 || len(src.Sources) != 2 {
		t.Errorf("sources: %d %+v", code, src)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `pmohub_source_freshness_seconds{source="jira"} 7200`) ||
		!strings.Contains(string(body), `pmohub_source_last_run_failed{source="jira"} 1`) {
		t.Errorf("/metrics lacks freshness:\n%s", body)
	}
}

func TestRefusesPublicAddressWithoutToken(t *testing.T) {
	r := metrics.NewReader(whtest.New(t, "default"), metrics.Options{})
	for addr, ok := range map[string]bool{"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true, "0.0.0.0:8080": false, ":8080": false, "10.1.2.3:80": false} {
		_, err := web.New(web.Options{Metrics: r, Listen: addr, Registry: prometheus.NewRegistry()})
		if (err == nil) != ok {
			t.Errorf("%s without a token: err %v", addr, err)
		}
	}
	if _, err := web.New(web.Options{Metrics: r, Listen: "0.0.0.0:8080", Token: "t0ken-x", Registry: prometheus.NewRegistry()}); err != nil {
		t.Errorf("public address with a token: %v", err)
	}
}
