package chdb

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// releaseCode drops libchdb's clean file-backed pages (code and read-only data) from this
// process's page tables. Starting the engine runs the static initialisers of the whole
// library, which touches over 100 MB of code that is never run again; those pages stay
// resident (and count in RSS) until unmapped. MADV_DONTNEED on a mapping that holds no
// private (copied-on-write) pages only unmaps them: they stay in the page cache, and the
// code the engine does run faults back in from there. Returns the bytes released.
func releaseCode(lib string) int64 {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0
	}
	defer f.Close()
	type vma struct {
		start, end uintptr
		ours       bool
		rss, anon  int64
	}
	if p, err := filepath.EvalSymlinks(lib); err == nil {
		lib = p // the maps name the file itself
	}
	if p, err := filepath.Abs(lib); err == nil {
		lib = p
	}
	var all []vma
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if fields := bytes.Fields(line); len(fields) >= 5 && bytes.IndexByte(fields[0], '-') > 0 && !bytes.HasSuffix(fields[0], []byte(":")) {
			lo, hi, _ := strings.Cut(string(fields[0]), "-")
			s, err1 := strconv.ParseUint(lo, 16, 64)
			e, err2 := strconv.ParseUint(hi, 16, 64)
			perms := string(fields[1])
			ours := err1 == nil && err2 == nil && len(fields) >= 6 && string(fields[len(fields)-1]) == lib &&
				len(perms) == 4 && perms[1] == '-' && perms[3] == 'p' // not writable, private
			all = append(all, vma{start: uintptr(s), end: uintptr(e), ours: ours})
			continue
		}
		if len(all) == 0 {
			continue
		}
		cur := &all[len(all)-1]
		if v, ok := bytes.CutPrefix(line, []byte("Rss:")); ok {
			cur.rss = kb(v)
		} else if v, ok := bytes.CutPrefix(line, []byte("Anonymous:")); ok {
			cur.anon = kb(v)
		}
	}
	var released int64
	for _, m := range all {
		if !m.ours || m.anon != 0 || m.rss == 0 {
			continue // a mapping with private copies (relocations) must keep them
		}
		// by address: the range is the library's, not Go memory
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, syscall.MADV_DONTNEED); errno == 0 {
			released += m.rss
		}
	}
	return released
}

func kb(v []byte) int64 {
	n, _ := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
	return n << 10
}
