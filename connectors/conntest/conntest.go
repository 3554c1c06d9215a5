// Package conntest is an in-memory raw layer for connector tests. Emitted pages are
// committed the way the sync engine commits them (a newer version wins, a tombstone
// removes), and the store answers the StoredReader a connector reads its previous state
// from, so a connector can be tested without the warehouse.
package conntest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/pmohub/pmohub/connectors"
)

// Store holds the live records and cursor of each stream.
type Store struct {
	Mu      sync.Mutex
	Recs    map[string]map[string]connectors.StoredRecord
	Cursors map[string]json.RawMessage
}

// New returns an empty store.
func New() *Store {
	return &Store{Recs: map[string]map[string]connectors.StoredRecord{}, Cursors: map[string]json.RawMessage{}}
}

// NativeIDs implements connectors.StoredReader.
func (s *Store) NativeIDs(_ context.Context, stream string) (map[string]uint64, error) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	out := map[string]uint64{}
	for id, r := range s.Recs[stream] {
		out[id] = r.Version
	}
	return out, nil
}

// Records implements connectors.StoredReader, in native id order.
func (s *Store) Records(_ context.Context, stream string, ids []string, fn func(connectors.StoredRecord) error) error {
	s.Mu.Lock()
	var list []connectors.StoredRecord
	if ids == nil {
		for _, r := range s.Recs[stream] {
			list = append(list, r)
		}
	} else {
		for _, id := range ids {
			if r, ok := s.Recs[stream][id]; ok {
				list = append(list, r)
			}
		}
	}
	s.Mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].NativeID < list[j].NativeID })
	for _, r := range list {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// CommitLocked applies a page emitted on stream, with Mu held by the caller.
func (s *Store) CommitLocked(stream string, p connectors.Page) error {
	if s.Recs[stream] == nil {
		s.Recs[stream] = map[string]connectors.StoredRecord{}
	}
	for _, r := range p.Records {
		if r.Stream != stream {
			return fmt.Errorf("record of stream %q emitted on %q", r.Stream, stream)
		}
		if old, ok := s.Recs[stream][r.NativeID]; ok && old.Version > r.Version {
			continue // a late re-read of older data
		}
		if r.Deleted {
			delete(s.Recs[stream], r.NativeID)
			continue
		}
		s.Recs[stream][r.NativeID] = connectors.StoredRecord{NativeID: r.NativeID, Version: r.Version, Payload: r.Payload}
	}
	if p.Cursor != nil {
		s.Cursors[stream] = p.Cursor
	}
	return nil
}
