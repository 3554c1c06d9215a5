package github

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/github/githubfake"
)

// versionStore keeps ids, versions and cursors only, so a benchmark measures the
// connector and not a map of payloads standing in for the warehouse.
type versionStore struct {
	mu       sync.Mutex
	versions map[string]map[string]uint64
	cursors  map[string]json.RawMessage
	records  int
	bytes    int
}

func (s *versionStore) NativeIDs(_ context.Context, stream string) (map[string]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]uint64, len(s.versions[stream]))
	for k, v := range s.versions[stream] {
		out[k] = v
	}
	return out, nil
}

func (s *versionStore) Records(context.Context, string, []string, func(connectors.StoredRecord) error) error {
	return nil
}

func (s *versionStore) emit(stream string) connectors.Emit {
	return func(_ context.Context, p connectors.Page) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		m := s.versions[stream]
		if m == nil {
			m = map[string]uint64{}
			s.versions[stream] = m
		}
		for _, r := range p.Records {
			m[r.NativeID] = r.Version
			s.records++
			s.bytes += len(r.Payload)
		}
		if p.Cursor != nil {
			s.cursors[stream] = p.Cursor
		}
		return nil
	}
}

// bigWorld builds repos × perRepo items: 30% pull requests, half of everything closed
// or merged, a third assigned; every state change leaves its events.
func bigWorld(repos, perRepo int) (*githubfake.Server, []string, int) {
	f := githubfake.New(testToken).Start()
	f.SetRateLimit(1 << 30) // the benchmark measures throughput, not the hourly budget
	var names []string
	minimum := 0
	for r := range repos {
		name := fmt.Sprintf("acme/svc-%02d", r)
		names = append(names, name)
		f.AddRepo(name, false)
		due := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
		f.AddMilestone(name, "GA", &due)
		prs := 0
		for i := range perRepo {
			spec := githubfake.IssueSpec{Title: fmt.Sprintf("ALPHA-%d: item %d", i, i), Body: strings.Repeat("Lorem ipsum dolor sit amet. ", 20),
				Labels: []string{[]string{"bug", "feature", "chore"}[i%3]}, Milestone: 1}
			if i%10 < 3 {
				// Pull requests close the issue four items back (#i-3): the odd ones are
				// open and close an open issue, listed before them.
				spec.Pull, spec.Head = true, fmt.Sprintf("feature/ALPHA-%d", i)
				spec.Body = fmt.Sprintf("Closes #%d. ", i-3) + spec.Body
				prs++
			}
			is := f.AddIssue(name, spec)
			if i%3 == 0 {
				f.Assign(name, is.Number, "alice", "alice")
			}
			if i%2 == 0 {
				if spec.Pull {
					f.MergePull(name, is.Number, "bob")
				} else {
					f.CloseIssue(name, is.Number, "bob", "completed")
				}
			}
		}
		minimum += 1 + 1 + pages(perRepo) + pages(prs) + pages(countEvents(f, name))
	}
	return f, names, minimum
}

func countEvents(f *githubfake.Server, repo string) int {
	n := 0
	u := f.URL() + "repos/" + repo + "/issues/events?per_page=100&page="
	for p := 1; ; p++ {
		req, _ := http.NewRequest(http.MethodGet, u+strconv.Itoa(p), nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var l []json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&l)
		resp.Body.Close()
		n += len(l)
		if len(l) < 100 {
			f.ResetLog()
			return n
		}
	}
}

func pages(n int) int { return max((n+99)/100, 1) }

func benchConnector(b *testing.B, u string, repos []string) *Connector {
	text := "repos: [" + strings.Join(repos, ", ") + "]\npeople: false\n"
	c, err := New(connectors.SourceConfig{Name: "gh", Kind: "github", URL: u, Auth: connectors.Auth{"token": testToken},
		Settings: connectors.YAMLSettings{File: "pmohub.yaml", Text: []byte(text)}})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func runAll(b *testing.B, c *Connector, st *versionStore) *connectors.Stats {
	stats := &connectors.Stats{}
	env := &connectors.Env{HTTP: &http.Client{Transport: &connectors.Transport{Stats: stats}}, Stats: stats,
		Logger: slog.New(slog.DiscardHandler), Stored: st, Now: time.Now}
	for _, s := range c.Streams() {
		if err := c.Sync(context.Background(), connectors.SyncRequest{Stream: s.Name, Cursor: st.cursors[s.Name], Env: env}, st.emit(s.Name)); err != nil {
			b.Fatal(err)
		}
	}
	return stats
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's peak resident set in kB (VmHWM).
func peakRSS() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), " kB"))
			return n
		}
	}
	return 0
}

// TestMain doubles as the fake's own process for the benchmarks (GITHUBFAKE_SERVE=1), so
// the connector's memory and CPU are measured apart from the fake's.
func TestMain(m *testing.M) {
	if os.Getenv("GITHUBFAKE_SERVE") == "" {
		os.Exit(m.Run())
	}
	f, repos, minimum := bigWorld(benchRepos, benchPerRepo)
	fmt.Printf("%s %d %s\n", f.URL(), minimum, strings.Join(repos, ","))
	_, _ = io.Copy(io.Discard, os.Stdin) // serve until the benchmark closes our stdin
	f.Close()
}

// remoteWorld starts bigWorld in a child process and returns its URL.
func remoteWorld(b *testing.B) (string, []string, int) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GITHUBFAKE_SERVE=1")
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	var u, names string
	var minimum int
	if _, err := fmt.Fscan(out, &u, &minimum, &names); err != nil {
		b.Fatal(err)
	}
	return u, strings.Split(names, ","), minimum
}

// BenchmarkFullSync: 50,000 issues and pull requests (5 repositories) from the fake (its
// own process) on loopback; reports items/s, requests against the REST minimum at 100 a
// page, and this process's peak RSS.
func BenchmarkFullSync(b *testing.B) {
	u, repos, minimum := remoteWorld(b)
	c := benchConnector(b, u, repos)
	var st *versionStore
	var stats *connectors.Stats
	// Peak RSS from here on: the sync (and the fake serving it), not building the fake.
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	start, cpu0 := time.Now(), cpuTime()
	n := 0
	for b.Loop() {
		st = &versionStore{versions: map[string]map[string]uint64{}, cursors: map[string]json.RawMessage{}}
		stats = runAll(b, c, st)
		n++
	}
	items := len(st.versions[StreamItems])
	b.ReportMetric(float64(items*n)/time.Since(start).Seconds(), "items/s")
	// CPU time of this process (the connector): a figure the machine's load does not distort.
	b.ReportMetric(float64(items*n)/(cpuTime()-cpu0).Seconds(), "items/cpu-s")
	b.ReportMetric(float64(peakRSS())/1024, "peak-RSS-MB")
	b.ReportMetric(float64(stats.Requests.Load()), "requests")
	b.ReportMetric(float64(minimum), "min-requests")
	b.ReportMetric(100*float64(stats.Requests.Load()-int64(minimum))/float64(minimum), "%over-min")
	b.Logf("items %d, records %d (%d MB payload), requests %d (minimum %d)",
		items, st.records/n, st.bytes/n>>20, stats.Requests.Load(), minimum)
}

// BenchmarkUnchangedSync: after a full sync of 50,000 items, a sync with no change.
func BenchmarkUnchangedSync(b *testing.B) {
	f, repos, _ := bigWorld(benchRepos, benchPerRepo)
	b.Cleanup(f.Close)
	c := benchConnector(b, f.URL(), repos)
	st := &versionStore{versions: map[string]map[string]uint64{}, cursors: map[string]json.RawMessage{}}
	runAll(b, c, st)
	var stats *connectors.Stats
	for b.Loop() {
		f.ResetLog()
		stats = runAll(b, c, st)
	}
	b.ReportMetric(float64(stats.Requests.Load()), "requests")
	b.ReportMetric(float64(f.CountStatus(http.StatusNotModified)), "304s")
}

// The benchmark size: 5 × 10,000 = 50,000 items; BENCH_PER_REPO shrinks it for profiling.
var benchRepos, benchPerRepo = 5, envInt("BENCH_PER_REPO", 10_000)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
