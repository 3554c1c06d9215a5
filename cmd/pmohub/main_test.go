package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors/jira/jirafake"
	"github.com/pmohub/pmohub/warehouse/chdb"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pmohub-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "pmohub")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building pmohub: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needChDB(t *testing.T) {
	t.Helper()
	if _, err := chdb.FindLibrary(); err != nil {
		t.Skipf("skipping: needs the embedded ClickHouse engine: %v", err)
	}
}

// pmohub runs the binary in dir and returns stdout, stderr and the exit code.
func pmohub(t *testing.T, dir string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func queryJSON(t *testing.T, dir, sql string) []map[string]any {
	t.Helper()
	out, errs, code := pmohub(t, dir, nil, "query", "--format", "JSONEachRow", sql)
	if code != 0 {
		t.Fatalf("query %q: exit %d: %s", sql, code, errs)
	}
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		rows = append(rows, m)
	}
	return rows
}

func TestMissingLibraryIsOneClearLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pmohub.yaml"), []byte("tenant: a\n"), 0o644)
	_, errs, code := pmohub(t, dir, []string{"CHDB_LIB_PATH=/nonexistent/libchdb.so"}, "migrate")
	if code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "make libchdb") || strings.Contains(errs, "panic") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestConfigErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pmohub.yaml"), []byte("sources:\n  - name: j\n    kind: jira\n    projetcs: [A]\n"), 0o644)
	_, errs, code := pmohub(t, dir, nil, "sync")
	if code == 0 || !strings.Contains(errs, "pmohub.yaml") || !strings.Contains(errs, "projetcs") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestQueryReportsClickHouseErrors(t *testing.T) {
	needChDB(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pmohub.yaml"), []byte("tenant: a\n"), 0o644)
	_, errs, code := pmohub(t, dir, nil, "query", "SELECT nope FROM work_items")
	if code != 1 || !strings.Contains(errs, "UNKNOWN_IDENTIFIER") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	out, _, code := pmohub(t, dir, nil, "query", "--format", "CSVWithNames", "SELECT count() AS n FROM work_items")
	if code != 0 || out != "\"n\"\n0\n" {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

// TestKillDashNineLosesNothing kills a running `pmohub sync` with SIGKILL, reruns it, and
// checks the warehouse holds exactly the fake Jira's issues, once each.
func TestKillDashNineLosesNothing(t *testing.T) {
	needChDB(t)
	fake := jirafake.New(jirafake.Cloud)
	fake.Generate("ALPHA", 3000, 3)
	fake.Start()
	defer fake.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("tenant: acme\nsources:\n  - name: jira-main\n    kind: jira\n    url: %s\n    auth: {email: %s, token: \"${T_JIRA_TOKEN}\"}\n    projects: [ALPHA]\n", fake.URL(), fake.Email)
	os.WriteFile(filepath.Join(dir, "pmohub.yaml"), []byte(cfg), 0o644)
	env := []string{"T_JIRA_TOKEN=" + fake.Token}

	cmd := exec.Command(binary, "sync")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for fake.CountRequests("search") < 6 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killedAt := fake.CountRequests("search")

	_, errs, code := pmohub(t, dir, env, "sync")
	if code != 0 {
		t.Fatalf("rerun after kill -9 (killed after %d searches): exit %d: %s", killedAt, code, errs)
	}
	rows := queryJSON(t, dir, "SELECT count() AS n, uniqExact(item_id) AS u FROM work_items WHERE tenant = 'acme'")
	if n, u := rows[0]["n"], rows[0]["u"]; fmt.Sprint(n) != "3000" || fmt.Sprint(u) != "3000" {
		t.Fatalf("after kill -9 and rerun: %v rows, %v distinct items; want 3000", n, u)
	}
	want := map[string]string{}
	for _, is := range fake.Issues() {
		want[is.Key] = is.Summary
	}
	got := queryJSON(t, dir, "SELECT key, title FROM work_items WHERE tenant = 'acme'")
	for _, r := range got {
		if want[r["key"].(string)] != r["title"] {
			t.Fatalf("item %v: title %q, want %q", r["key"], r["title"], want[r["key"].(string)])
		}
	}
	runs := queryJSON(t, dir, "SELECT status FROM sync_runs WHERE tenant = 'acme' ORDER BY started_at")
	if len(runs) != 2 || runs[0]["status"] != "running" || runs[1]["status"] != "succeeded" {
		t.Fatalf("sync_runs: %v (the killed run stays 'running': it never finished)", runs)
	}
}
