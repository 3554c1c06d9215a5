package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pmohub/pmohub/connectors/simulator"
)

// TestDemoOnceMatchesTheSimulation runs the README's main job and checks what it printed
// and stored against the simulated organisation's own numbers.
func TestDemoOnceMatchesTheSimulation(t *testing.T) {
	needChDB(t)
	dir := t.TempDir()
	out, errs, code := pmohub(t, dir, nil, "demo", "--once", "--seed", "7", "--dir", dir)
	if code != 0 {
		t.Fatalf("demo --once: exit %d\n%s\n%s", code, out, errs)
	}
	sim := simulator.New(7, nil) // the same organisation, generated again
	issues := len(sim.Jira.Issues())
	planRows := 0
	for _, p := range sim.Projects {
		if p.PlanSheet != 0 {
			planRows += len(sim.Smartsheet.RowIDs(p.PlanSheet))
		}
	}
	counts := map[string]string{}
	for _, r := range queryJSON(t, dir, "SELECT source, count() AS n FROM work_items WHERE tenant = 'acme' GROUP BY source") {
		counts[r["source"].(string)] = fmt.Sprint(r["n"])
	}
	if counts["jira"] != fmt.Sprint(issues) || counts["plans"] != fmt.Sprint(planRows) || counts["portfolio"] != "6" {
		t.Fatalf("work items per source %v; the simulation has %d Jira issues, %d plan rows, 6 RAID entries", counts, issues, planRows)
	}
	prs := queryJSON(t, dir, "SELECT count() AS n FROM work_items WHERE tenant = 'acme' AND type_category = 'pull_request'")
	if fmt.Sprint(prs[0]["n"]) != fmt.Sprint(sim.PullRequests) {
		t.Fatalf("pull requests: warehouse %v, simulation %d", prs[0]["n"], sim.PullRequests)
	}
	links := queryJSON(t, dir, "SELECT count() AS n FROM links WHERE tenant = 'acme' AND origin = 'mention'")
	if fmt.Sprint(links[0]["n"]) == "0" {
		t.Fatal("no pull request was linked to the Jira issue it names")
	}
	// every register project is in the table, with the health its profile must show
	want := map[simulator.Profile]string{simulator.Healthy: "GREEN", simulator.Slipping: "RED", simulator.Stale: "AMBER", simulator.LateGate: "RED"}
	for _, p := range sim.Projects {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, p.ID+" "+p.Name) {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("project %s %s missing from the table:\n%s", p.ID, p.Name, out)
		}
		if !strings.Contains(line, " "+want[p.Profile]+" ") {
			t.Errorf("%s (%s) should be %s: %s", p.Name, p.Profile, want[p.Profile], line)
		}
	}
}

// TestDemoDashboardInChromium starts the living demo, opens its dashboard in headless
// Chromium, watches a scheduled sync move the data, and stops it with Ctrl-C.
func TestDemoDashboardInChromium(t *testing.T) {
	needChDB(t)
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("skipping the browser test: chromium is not installed (make chromium)")
	}
	dir := t.TempDir()
	cmd := exec.Command(binary, "demo", "--dir", dir, "--listen", "127.0.0.1:0", "--every", "300ms", "--schedule", "5s")
	cmd.Dir = dir
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	url := ""
	sc := bufio.NewScanner(stdout)
	deadline := time.Now().Add(90 * time.Second)
	re := regexp.MustCompile(`ready at (http://\S+/)`)
	for url == "" && time.Now().Before(deadline) && sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatal("the demo never printed its URL")
	}
	go func() {
		for sc.Scan() {
		}
	}()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	// start the browser before listening to its console: both would otherwise launch one
	// on the same profile directory
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	var (
		mu       sync.Mutex
		problems []string
	)
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(`#projects tbody tr`)); err != nil {
		state, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.readyState + ' ' + document.title + ' ' + (document.querySelector('main')||{}).innerText`))
		t.Fatalf("dashboard: %v (page: %.300s; console: %v)", err, state, problems)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#projects tbody tr')].map(r => r.dataset.project)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"P-001", "P-008"} {
		if !strings.Contains(strings.Join(rows, " "), id) {
			t.Fatalf("dashboard rows %v lack %s", rows, id)
		}
	}
	shot := os.Getenv("PMOHUB_SCREENSHOTS")
	if shot == "" {
		shot = t.TempDir()
	}
	os.MkdirAll(shot, 0o755)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(shot+"/demo-portfolio.png", png, 0o644)

	// scheduled syncs keep running while the organisation changes: the sources' last runs move
	first := sourcesState(url)
	moved := false
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end) && !moved; time.Sleep(500 * time.Millisecond) {
		moved = sourcesState(url) != first
	}
	if !moved {
		t.Fatal("no scheduled sync ran within 30 s while the organisation kept changing")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("console errors: %v", problems)
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo did not stop cleanly on Ctrl-C: %v", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("demo did not stop within 45 s of Ctrl-C")
	}
}

// sourcesState is the sources part of /api/v1/sources (their last runs), as text.
func sourcesState(url string) string {
	resp, err := http.Get(url + "api/v1/sources")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	b, _ := json.Marshal(body["sources"])
	return string(b)
}
