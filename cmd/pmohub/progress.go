package main

import (
	"fmt"
	"io"
	"sort"
	stdsync "sync"

	pmosync "github.com/pmohub/pmohub/sync"
)

// progress draws one line per source and stream on a terminal; elsewhere it stays quiet
// (the JSON logs and the summary say enough).
type progress struct {
	mu    stdsync.Mutex
	w     io.Writer
	tty   bool
	lines map[string]pmosync.Progress
	drawn int
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: isTerminal(w), lines: map[string]pmosync.Progress{}}
}

func (p *progress) update(ev pmosync.Progress) {
	if !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines[ev.Source+"/"+ev.Stream] = ev
	p.draw()
}

func (p *progress) draw() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.drawn)
	}
	keys := make([]string, 0, len(p.lines))
	for k := range p.lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ev := p.lines[k]
		mark := "…"
		if ev.Done {
			mark = "✓"
		}
		fmt.Fprintf(p.w, "\x1b[2K  %s %-32s %10d records\n", mark, k, ev.Records)
	}
	p.drawn = len(keys)
}

func (p *progress) finish() {
	if !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawn = 0
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}
