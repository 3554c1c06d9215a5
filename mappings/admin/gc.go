package admin

import (
	"os"
	"runtime/debug"
	"sync"
)

// A validate or preview maps every stored record of a source in a second or two and
// allocates several times its live heap meanwhile. At Go's default target (GOGC=100) the
// collector took a fifth of a 100,000-record preview's time; at 200 the preview and the
// validate take 15–25% less (BenchmarkValidatePreview, medians of alternating runs), for
// a heap that may reach three times the live one (some 100–150 MB more) until the run
// ends. A re-map is left alone: it holds batches on their way to the warehouse, and
// there the higher target cost 700 MB and gained nothing. GOGC or GOMEMLIMIT set by the
// operator win.
const previewGCPercent = 200

var previewGC struct {
	sync.Mutex
	running int
	before  int
}

// raiseGCTarget applies previewGCPercent until the returned func is called. Runs may
// overlap; the last to end restores the setting.
func raiseGCTarget() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	st := &previewGC
	st.Lock()
	if st.running == 0 {
		st.before = debug.SetGCPercent(previewGCPercent)
	}
	st.running++
	st.Unlock()
	return func() {
		st.Lock()
		if st.running--; st.running == 0 {
			debug.SetGCPercent(st.before)
		}
		st.Unlock()
	}
}
