package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pmohub/pmohub/connectors"
	"github.com/pmohub/pmohub/connectors/tabular"
	"github.com/pmohub/pmohub/mappings"
	"github.com/pmohub/pmohub/warehouse"
)

// MissingColumnsError: a changed mapping requires columns that stored tabular records
// lack. The mapping is not re-applied, so the analysts' views keep the rows of the
// mapping in force until the mapping or the sheet is fixed.
type MissingColumnsError struct {
	Source  string
	Table   string // the table of the first stored row found lacking them, as its payload names it
	Record  string // that row: stream/native id
	Missing []connectors.MissingColumn
}

func (e *MissingColumnsError) Error() string {
	parts := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		parts[i] = m.String()
	}
	return fmt.Sprintf("source %s: the changed mapping is not applied: %s: %s, which stored row %s lacks; fix the mapping or the sheet (the previous mapping stays in force)",
		e.Source, e.Table, strings.Join(parts, ", "), e.Record)
}

// tableOf names a tabular row's table as the tabular connectors do in their messages.
func tableOf(payload []byte) string {
	var p tabular.Payload
	_ = json.Unmarshal(payload, &p)
	return tabular.TableRef{ID: p.TableID, Name: p.TableName, Tab: p.Tab}.String()
}

var errFound = errors.New("found")

// checkRequiredColumns reads the stored records of the streams where mp requires columns
// (tabular sources only) and returns *MissingColumnsError for the first record lacking any.
func (e *Engine) checkRequiredColumns(ctx context.Context, src *Source, mp *mappings.Mapper) error {
	for _, stream := range mp.Streams() {
		if len(mp.RequiredColumns(stream)) == 0 {
			continue
		}
		var found *MissingColumnsError
		err := e.WH.RawRecords(ctx, src.Name(), stream, nil, func(sr warehouse.StoredRaw) error {
			if miss := mp.MissingColumns(stream, sr.Payload); len(miss) > 0 {
				found = &MissingColumnsError{Source: src.Name(), Table: tableOf(sr.Payload), Record: stream + "/" + sr.NativeID, Missing: miss}
				return errFound
			}
			return nil
		})
		switch {
		case found != nil:
			return found
		case err != nil:
			return fmt.Errorf("checking the mapping's columns against stored %s: %w", stream, err)
		}
	}
	return nil
}
