package admin

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestAdminPageInChromium edits a mapping in the page: inline problems with jump to the
// line, preview with diff and unmapped values, apply, history and rollback.
func TestAdminPageInChromium(t *testing.T) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("skipping the browser test: chromium is not installed (apt-get install -y chromium)")
	}
	f := newFixture(t, 12)
	srv := httptest.NewServer(f.svc.Handler(nil))
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	bctx, cancelT := context.WithTimeout(bctx, 60*time.Second)
	defer cancelT()
	var mu stdsync.Mutex
	var jsErrors []string
	err = chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			jsErrors = append(jsErrors, e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				jsErrors = append(jsErrors, "console error")
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	bad := "extends: default\nentities:\n  work_items:\n    fields:\n      stauts: {path: status}\n"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	get := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(bctx, a)
		must(err)
		return v
	}
	must(chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/admin/mappings"), chromedp.WaitVisible(`#history li`), chromedp.WaitVisible(`#validity.ok`)))
	if text, validity := get(chromedp.Value(`#editor`)), get(chromedp.Text(`#validity`)); text != builtin || validity != "valid, 1 warning" {
		t.Fatalf("loaded %q, validity %q", text, validity)
	}
	// Type a mistake: the problem shows with its line; clicking it moves the caret there.
	must(chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("editor").value = ""`),
		chromedp.SendKeys(`#editor`, bad),
		chromedp.WaitVisible(`#problems li.error`),
		chromedp.Click(`#problems li.error`),
	))
	problem := get(chromedp.Text(`#problems li.error`))
	if !strings.Contains(problem, "5:7") || !strings.Contains(problem, "did you mean status?") {
		t.Fatalf("problem %q", problem)
	}
	selStart, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.getElementById("editor").selectionStart`))
	must(err)
	if want := strings.Index(bad, "stauts"); selStart != want {
		t.Fatalf("caret at %d, want %d (line 5, column 7)", selStart, want)
	}
	// The edited mapping: preview shows the diff and no unmapped values (Blocked is mapped).
	must(chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](`(e => { e.value = `+jsonText(edited)+`; e.dispatchEvent(new Event("input")) })(document.getElementById("editor"))`),
		chromedp.WaitVisible(`#validity.ok`),
		chromedp.Click(`#preview-btn`),
		chromedp.WaitVisible(`#diff table`),
	))
	diff, unmapped := get(chromedp.Text(`#diff`)), get(chromedp.Text(`#unmapped`))
	if !strings.Contains(diff, "work_items") || !strings.Contains(diff, "12") || !strings.Contains(unmapped, "Every value is mapped") {
		t.Fatalf("diff %q unmapped %q", diff, unmapped)
	}
	shot(t, bctx, "mappings-admin-preview.png")
	// Apply, then roll back from the history list.
	must(chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.SendKeys(`#note`, "map Blocked; team from labels"),
		chromedp.Click(`#apply-btn`),
		chromedp.WaitVisible(`#history li[data-version="2"]`),
	))
	status, history := get(chromedp.Text(`#status`)), get(chromedp.Text(`#history`))
	if !strings.Contains(status, "Applied version 2") || !strings.Contains(history, "map Blocked; team from labels") {
		t.Fatalf("status %q history %q", status, history)
	}
	if it := f.items(t)["tracker:3"]; it["status_category"] != "in_progress" {
		t.Fatalf("not applied: %v", it)
	}
	must(chromedp.Do(bctx,
		chromedp.Click(`#history li[data-version="1"] button:last-child`),
		chromedp.WaitVisible(`#history li[data-version="3"]`),
	))
	if text := get(chromedp.Value(`#editor`)); text != builtin {
		t.Fatalf("after rollback the editor shows %q", text)
	}
	if it := f.items(t)["tracker:3"]; it["status_category"] != "todo" {
		t.Fatalf("not rolled back: %v", it)
	}
	shot(t, bctx, "mappings-admin-history.png")
	mu.Lock()
	defer mu.Unlock()
	if len(jsErrors) > 0 {
		t.Fatalf("JavaScript errors: %v", jsErrors)
	}
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("PMOHUB_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}
