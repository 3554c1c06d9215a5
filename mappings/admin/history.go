package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
	"github.com/pmohub/pmohub/warehouse"
)

// Version is one applied mapping version.
type Version struct {
	Version    uint32    `json:"version"`
	Hash       string    `json:"hash"`
	Generation uint32    `json:"generation"`
	AppliedBy  string    `json:"applied_by"`
	AppliedAt  time.Time `json:"applied_at"`
	Note       string    `json:"note"`
	Text       string    `json:"text,omitempty"`
}

type versionRow struct {
	Version    uint32    `json:"mapping_version"`
	Text       string    `json:"mapping"`
	Hash       string    `json:"mapping_hash"`
	Generation uint32    `json:"generation"`
	AppliedBy  string    `json:"applied_by"`
	AppliedAt  time.Time `json:"applied_at"`
	Note       string    `json:"note"`
}

func (r versionRow) version(withText bool) Version {
	v := Version{Version: r.Version, Hash: r.Hash, Generation: r.Generation, AppliedBy: r.AppliedBy, AppliedAt: r.AppliedAt, Note: r.Note}
	if withText {
		v.Text = r.Text
	}
	return v
}

func queryVersions(ctx context.Context, wh *warehouse.Warehouse, source, cols, extra string) ([]versionRow, error) {
	var rows []versionRow
	q := fmt.Sprintf("SELECT %s FROM %s FINAL WHERE tenant = %s AND source = %s AND is_deleted = 0 %s ORDER BY mapping_version DESC",
		cols, wh.Layout().Q(warehouse.MappingVersions.Storage()), warehouse.Lit(wh.Tenant()), warehouse.Lit(source), extra)
	if err := wh.QueryInto(ctx, q, &rows); err != nil {
		return nil, fmt.Errorf("reading mapping history of %s: %w", source, err)
	}
	return rows, nil
}

const listCols = "mapping_version, mapping_hash, generation, applied_by, applied_at, note"

// History lists a source's applied mapping versions, newest first (without their text).
func History(ctx context.Context, wh *warehouse.Warehouse, source string) ([]Version, error) {
	rows, err := queryVersions(ctx, wh, source, listCols, "")
	if err != nil {
		return nil, err
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = r.version(false)
	}
	return out, nil
}

// VersionText returns one version with its text.
func VersionText(ctx context.Context, wh *warehouse.Warehouse, source string, version uint32) (Version, bool, error) {
	rows, err := queryVersions(ctx, wh, source, listCols+", mapping", fmt.Sprintf("AND mapping_version = %d", version))
	if err != nil || len(rows) == 0 {
		return Version{}, false, err
	}
	return rows[0].version(true), true, nil
}

func latestVersion(ctx context.Context, wh *warehouse.Warehouse, source string) (Version, bool, error) {
	rows, err := queryVersions(ctx, wh, source, listCols+", mapping", "")
	if err != nil || len(rows) == 0 {
		return Version{}, false, err
	}
	return rows[0].version(true), true, nil
}

// UseApplied makes each source's mapping the latest version applied to it, when there is
// one, so that `pmohub sync` and the server's scheduled syncs honour what admins applied
// (otherwise a sync would see the config's mapping hash differ and re-map back to it).
// builtin returns a kind's built-in mapping (connectors.Kind.Mapping).
func UseApplied(ctx context.Context, wh *warehouse.Warehouse, sources []*pmosync.Source, builtin func(kind string) []byte) error {
	for _, src := range sources {
		v, ok, err := latestVersion(ctx, wh, src.Name())
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		own := builtin(src.Config.Kind)
		var base *mappings.Mapping
		if len(own) > 0 {
			if base, err = mappings.DefaultFor(src.Config.Kind, own); err != nil {
				return fmt.Errorf("built-in mapping of %s: %w", src.Config.Kind, err)
			}
		}
		m, err := mappings.Parse(fmt.Sprintf("%s (applied version %d)", fileName(src.Name()), v.Version), []byte(v.Text), base)
		if err != nil {
			return fmt.Errorf("source %s: applied mapping version %d: %w", src.Name(), v.Version, err)
		}
		src.Mapping, src.MappingText = m, Combined(own, []byte(v.Text))
	}
	return nil
}
