package sync

import (
	"context"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/warehouse"
)

// storedReader gives a connector read access to its own source's raw layer.
// Reads first wait for the pages the connector already emitted to be written.
type storedReader struct {
	wh      *warehouse.Warehouse
	source  string
	barrier func() error
}

func (s storedReader) NativeIDs(ctx context.Context, stream string) (map[string]uint64, error) {
	if err := s.barrier(); err != nil {
		return nil, err
	}
	return s.wh.RawIDs(ctx, s.source, stream)
}

func (s storedReader) Records(ctx context.Context, stream string, ids []string, fn func(connectors.StoredRecord) error) error {
	if err := s.barrier(); err != nil {
		return err
	}
	return s.wh.RawRecords(ctx, s.source, stream, ids, func(sr warehouse.StoredRaw) error {
		return fn(connectors.StoredRecord{NativeID: sr.NativeID, Version: sr.Version, Payload: sr.Payload})
	})
}
