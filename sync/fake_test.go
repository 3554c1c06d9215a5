package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	stdsync "sync"
	"time"

	"github.com/pmohub/pmohub/connectors"
)

// testItem is one work item in the in-test source.
type testItem struct {
	Key     string   `json:"key"`
	Title   string   `json:"title"`
	Status  string   `json:"status"`
	Project string   `json:"project"`
	Labels  []string `json:"labels"`
	Updated string   `json:"updated"`
	History []hist   `json:"history"`
	version uint64
}

type hist struct {
	ID   string `json:"id"`
	At   string `json:"at"`
	From string `json:"from"`
	To   string `json:"to"`
}

// testSource is an in-test connector: pages of items changed since the cursor (a version),
// and deletions found by an id sweep against what is stored.
type testSource struct {
	mu       stdsync.Mutex
	items    map[string]*testItem
	clock    uint64
	pageSize int
	calls    int // Sync calls: a re-mapping must make none
	fail     error
}

type testCursor struct {
	Since uint64 `json:"since"`
}

func newTestSource() *testSource {
	return &testSource{items: map[string]*testItem{}, pageSize: 3}
}

func (s *testSource) put(id string, it testItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock++
	it.version = s.clock
	it.Updated = time.Unix(1700000000+int64(s.clock)*60, 0).UTC().Format(time.RFC3339)
	if old := s.items[id]; old != nil && old.Status != it.Status {
		it.History = append(append([]hist{}, old.History...), hist{ID: fmt.Sprintf("h%d", s.clock), At: it.Updated, From: old.Status, To: it.Status})
	} else if old != nil {
		it.History = old.History
	}
	s.items[id] = &it
}

func (s *testSource) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.items, id)
}

func (s *testSource) Streams() []connectors.StreamInfo {
	return []connectors.StreamInfo{{Name: "items", Description: "work items"}}
}

func (s *testSource) Sync(ctx context.Context, req connectors.SyncRequest, emit connectors.Emit) error {
	s.mu.Lock()
	s.calls++
	if s.fail != nil {
		s.mu.Unlock()
		return &connectors.SourceError{Source: "test", Endpoint: "GET /items", Status: 401, Message: s.fail.Error()}
	}
	var cur testCursor
	if req.Cursor != nil {
		if err := json.Unmarshal(req.Cursor, &cur); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	var ids []string
	for id, it := range s.items {
		if it.version > cur.Since {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return s.items[ids[i]].version < s.items[ids[j]].version })
	var pages []connectors.Page
	for start := 0; start < len(ids); start += s.pageSize {
		var page connectors.Page
		var max uint64
		for _, id := range ids[start:min(start+s.pageSize, len(ids))] {
			it := s.items[id]
			b, _ := json.Marshal(it)
			page.Records = append(page.Records, connectors.Record{NativeID: id, Version: it.version, Payload: b})
			max = it.version
		}
		page.Cursor, _ = json.Marshal(testCursor{Since: max})
		pages = append(pages, page)
	}
	live := map[string]bool{}
	for id := range s.items {
		live[id] = true
	}
	clock := s.clock
	s.mu.Unlock()
	for _, p := range pages {
		if err := emit(ctx, p); err != nil {
			return err
		}
	}
	stored, err := req.Env.Stored.NativeIDs(ctx, "items")
	if err != nil {
		return err
	}
	var del connectors.Page
	for id := range stored {
		if !live[id] {
			del.Records = append(del.Records, connectors.Record{NativeID: id, Version: clock + 1, Deleted: true})
		}
	}
	if len(del.Records) > 0 {
		return emit(ctx, del)
	}
	return nil
}

var errInjected = errors.New("injected crash")

const testMapping = `
version: 1
entities:
  work_items:
    stream: items
    fields:
      item_id: {template: "{source}:{native_id}"}
      key: {path: key}
      title: {path: title}
      status: {path: status}
      status_category: {from: status, values: {Open: todo, Doing: in_progress, Done: done}, default: todo}
      labels: {path: labels, type: list}
      updated_at: {path: updated, type: time}
      started_at: {first_transition: {to_category: in_progress}}
      scope: {template: "test_project:{path:project}"}
      project_id: {template: "{source}:{path:project}"}
  transitions:
    stream: items
    each: "history[*]"
    fields:
      item_id: {template: "{source}:{native_id}"}
      transition_id: {path: "@.id"}
      at: {path: "@.at", type: time}
      field: {value: status}
      from_value: {path: "@.from"}
      to_value: {path: "@.to"}
      from_category: {from: from_value, values: {Open: todo, Doing: in_progress, Done: done}, default: todo}
      to_category: {from: to_value, values: {Open: todo, Doing: in_progress, Done: done}, default: todo}
`
