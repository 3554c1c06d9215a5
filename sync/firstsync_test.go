package sync_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pmohub/pmohub/connectors"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

// rereadSource emits one record twice in a single run, in separate pages: first with a
// history entry, then (newer) without it, as a source re-reads an item that changed while
// it paged.
type rereadSource struct{}

func (rereadSource) Streams() []connectors.StreamInfo {
	return []connectors.StreamInfo{{Name: "items", Description: "work items"}}
}

func (rereadSource) Sync(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	first, _ := json.Marshal(testItem{Key: "T-1", Title: "one", Status: "Doing", Project: "P", Updated: "2026-01-01T10:00:00Z",
		History: []hist{{ID: "h1", At: "2026-01-01T09:00:00Z", From: "Open", To: "Doing"}}})
	again, _ := json.Marshal(testItem{Key: "T-1", Title: "one, again", Status: "Open", Project: "P", Updated: "2026-01-01T11:00:00Z"})
	other, _ := json.Marshal(testItem{Key: "T-2", Title: "two", Status: "Open", Project: "P", Updated: "2026-01-01T10:00:00Z"})
	for _, p := range []connectors.Page{
		{Records: []connectors.Record{{NativeID: "1", Version: 1, Payload: first}}},
		{Records: []connectors.Record{{NativeID: "2", Version: 1, Payload: other}}},
		{Records: []connectors.Record{{NativeID: "1", Version: 2, Payload: again}}},
	} {
		if err := emit(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// TestFirstSyncRereadInSameRun: a first sync skips the warehouse lookups of previous
// payloads, yet a record written earlier in the same run is still diffed against what
// that run wrote: the transition its newer version dropped is tombstoned.
func TestFirstSyncRereadInSameRun(t *testing.T) {
	w := whtest.New(t, "default")
	eng := &pmosync.Engine{WH: w, BatchRecords: 1}
	s := newSource(t, "tst", rereadSource{}, testMapping)
	run, err := eng.Sync(ctx, s, pmosync.Options{})
	if err != nil || run.Status != "succeeded" {
		t.Fatalf("run: %+v %v", run, err)
	}
	st := snapshot(t, w)
	if len(st.Items) != 2 || st.Items[0]["title"] != "one, again" {
		t.Fatalf("items: %+v", st.Items)
	}
	if len(st.Transitions) != 0 {
		t.Fatalf("the re-read dropped its history, the transition must be gone: %+v", st.Transitions)
	}
}
