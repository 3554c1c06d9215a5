package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("sync: %v\n%s", err, out)
	}
	took := time.Since(start)
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024
	b.ReportMetric(float64(items)/took.Seconds(), "items/s")
	b.ReportMetric(float64(rss), "peakRSS_MB")
	b.ReportMetric(float64(requests()), "requests")
	b.ReportMetric(took.Seconds(), "s")
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
