package tabular

import (
	"context"

	"github.com/pmohub/pmohub/connectors"
)

// StoredBatch is how many ids one read of stored records names. The warehouse sends them
// as literals in one query, and ClickHouse refuses a query over 256 KiB (max_query_size):
// 20,000 row ids of ~30 characters already are.
const StoredBatch = 2000

// StoredRecords reads the stored records of ids in batches of StoredBatch.
func StoredRecords(ctx context.Context, sr connectors.StoredReader, stream string, ids []string, fn func(connectors.StoredRecord) error) error {
	for start := 0; start < len(ids); start += StoredBatch {
		end := min(start+StoredBatch, len(ids))
		if err := sr.Records(ctx, stream, ids[start:end], fn); err != nil {
			return err
		}
	}
	return nil
}
