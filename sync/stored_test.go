package sync_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pmohub/pmohub/connectors"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse/whtest"
)

// readBackSource emits two records (fewer than a batch) and then reads its own raw layer,
// as a connector does that re-derives one record from another emitted in the same run.
type readBackSource struct {
	seen    map[string]uint64
	payload map[string]string
}

func (*readBackSource) Streams() []connectors.StreamInfo {
	return []connectors.StreamInfo{{Name: "items", Description: "work items"}}
}

func (s *readBackSource) Sync(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	var page connectors.Page
	for _, id := range []string{"1", "2"} {
		b, _ := json.Marshal(testItem{Key: "T-" + id, Title: "item " + id, Status: "Open", Project: "P", Updated: "2026-01-01T10:00:00Z"})
		page.Records = append(page.Records, connectors.Record{NativeID: id, Version: 1, Payload: b})
	}
	if err := emit(ctx, page); err != nil {
		return err
	}
	var err error
	if s.seen, err = req.Env.Stored.NativeIDs(ctx, "items"); err != nil {
		return err
	}
	s.payload = map[string]string{}
	return req.Env.Stored.Records(ctx, "items", []string{"1", "2"}, func(r connectors.StoredRecord) error {
		s.payload[r.NativeID] = string(r.Payload)
		return nil
	})
}

// TestStoredSeesPagesStillBuffered: pages a connector emitted but the engine has not yet
// handed to the writer (a batch is not full) are visible to the connector's reads.
func TestStoredSeesPagesStillBuffered(t *testing.T) {
	w := whtest.New(t, "default")
	eng := &pmosync.Engine{WH: w} // the default batch is far larger than two records
	src := &readBackSource{}
	s := newSource(t, "tst", src, testMapping)
	run, err := eng.Sync(ctx, s, pmosync.Options{})
	if err != nil || run.Status != "succeeded" {
		t.Fatalf("run: %+v %v", run, err)
	}
	if len(src.seen) != 2 || src.seen["1"] != 1 || src.seen["2"] != 1 {
		t.Fatalf("stored ids seen by the connector: %v", src.seen)
	}
	if len(src.payload) != 2 {
		t.Fatalf("stored payloads seen by the connector: %v", src.payload)
	}
	if st := snapshot(t, w); len(st.Items) != 2 {
		t.Fatalf("items: %+v", st.Items)
	}
}
