package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors/github/githubfake"
	"github.com/pmohub/pmohub/connectors/jira/jirafake"
)

// benchSync runs `pmohub sync` as its own process against a fake on loopback and reports
// items/s, the process's peak RSS and the requests it made.
func benchSync(b *testing.B, dir string, env []string, items int, requests func() int) {
	b.Helper()
	cmd := exec.Command(binary, "sync")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	hwm := watchHWM(cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("sync: %v\n%s", err, out.String())
	}
	took := time.Since(start)
	b.ReportMetric(float64(items)/took.Seconds(), "items/s")
	b.ReportMetric(float64(hwm()>>20), "peakRSS_MB")
	b.ReportMetric(float64(requests()), "requests")
	b.ReportMetric(took.Seconds(), "s")
}

// quietGC makes this process (the fake) collect garbage less often. The fake holds the
// whole generated site in memory, so each collection scans it: at the default GOGC it spent
// about half its CPU on that, taken from the two cores the measured sync shares with it.
func quietGC() (restore func()) {
	old := debug.SetGCPercent(800)
	return func() { debug.SetGCPercent(old) }
}

// watchHWM follows a child's peak RSS (VmHWM) until it exits, and returns a func giving
// the last value read. Not rusage's ru_maxrss: Go starts children with vfork, so a child's
// ru_maxrss starts at this process's RSS — which holds the fake's whole generated site —
// and a sync after the Jira benchmark read 2.6 GB that were not its own.
func watchHWM(pid int) func() int64 {
	var mu sync.Mutex
	var peak int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		path := fmt.Sprintf("/proc/%d/status", pid)
		for {
			data, err := os.ReadFile(path)
			if err != nil {
				return
			}
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					mu.Lock()
					peak = max(peak, kb<<10)
					mu.Unlock()
				}
				if strings.HasPrefix(line, "State:") && strings.Contains(line, "zombie") {
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return func() int64 {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

func writeConfig(b *testing.B, dir, text string) {
	if err := os.WriteFile(filepath.Join(dir, "pmohub.yaml"), []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkJiraFullSync100k: 100,000 issues with changelogs (every seventh truncated in
// search results), then an unchanged incremental sync.
func BenchmarkJiraFullSync100k(b *testing.B) {
	if _, err := os.Stat(binary); err != nil {
		b.Skip("no binary")
	}
	defer quietGC()()
	fake := jirafake.New(jirafake.Cloud)
	fake.Generate("ALPHA", 100_000, 3)
	fake.Start()
	defer fake.Close()
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		writeConfig(b, dir, fmt.Sprintf("tenant: acme\nsources:\n  - name: jira-main\n    kind: jira\n    url: %s\n    auth: {email: %s, token: %s}\n    projects: [ALPHA]\n", fake.URL(), fake.Email, fake.Token))
		fake.ResetRequests()
		b.StartTimer()
		benchSync(b, dir, nil, 100_000, func() int { return len(fake.Requests()) })
		b.StopTimer()
		fake.ResetRequests()
		start := time.Now()
		cmd := exec.Command(binary, "sync")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("unchanged sync: %v\n%s", err, out)
		}
		b.ReportMetric(float64(len(fake.Requests())), "unchanged_requests")
		b.ReportMetric(time.Since(start).Seconds(), "unchanged_s")
	}
}

// BenchmarkGitHubFullSync50k: 50,000 issues and pull requests in 10 repositories.
func BenchmarkGitHubFullSync50k(b *testing.B) {
	defer quietGC()()
	fake := githubfake.New("bench-token")
	fake.SetRateLimit(1_000_000)
	var repos []string
	for r := 0; r < 10; r++ {
		name := fmt.Sprintf("acme/repo%d", r)
		repos = append(repos, name)
		fake.AddRepo(name, false)
		for i := 0; i < 5000; i++ {
			fake.AddIssue(name, githubfake.IssueSpec{Title: fmt.Sprintf("ALPHA-%d: change %d", i, i), Pull: i%2 == 0, Labels: []string{"feature"}})
		}
	}
	fake.Start()
	defer fake.Close()
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		writeConfig(b, dir, fmt.Sprintf("tenant: acme\nsources:\n  - name: gh\n    kind: github\n    url: %s\n    auth: {token: bench-token}\n    repos: [%s]\n    people: false\n", fake.URL(), strings.Join(repos, ", ")))
		fake.ResetLog()
		b.StartTimer()
		benchSync(b, dir, nil, 50_000, func() int { return len(fake.Requests()) })
	}
}
