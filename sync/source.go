// Package sync is pmohub's sync engine: it runs connectors, writes what they read into the
// raw layer, applies each source's mapping into the canonical model, saves cursors only
// after the data they cover is written, and records one sync_runs row per run.
//
// Write order per page: canonical rows (new rows and tombstones for rows the record no
// longer produces), then the raw records, then the cursor. A crash anywhere re-reads the
// page on the next run: the raw layer still holds the previous payloads, so the same diff
// is computed again and the rewrite is idempotent (same versions), never duplicated.
package sync

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/mappings"
)

// Source is one configured source ready to sync.
type Source struct {
	Config    connectors.SourceConfig
	Connector connectors.Connector
	Mapping   *mappings.Mapping
	// MappingText is the mapping as written (default or file), hashed to notice changes.
	MappingText []byte
}

// Name is the source's configured name.
func (s *Source) Name() string { return s.Config.Name }

// MappingHash identifies the mapping that produced a generation.
func (s *Source) MappingHash() string {
	h := sha256.Sum256(s.MappingText)
	return hex.EncodeToString(h[:])
}
