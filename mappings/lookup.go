package mappings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pmohub/pmohub/connectors"
)

// lookupIndex holds one lookup stream's records by key.
type lookupIndex struct {
	stream  string
	key     []seg // nil: the record's native id
	keyText string
	records map[string]any
	loaded  bool
}

func (ix *lookupIndex) keyName() string {
	if ix.keyText == "" {
		return "id"
	}
	return ix.keyText
}

// SetLookup loads a lookup stream's records (called once per run before Map). Records
// that do not decode are skipped and reported in the error; the others are loaded.
func (mp *Mapper) SetLookup(stream string, recs []connectors.StoredRecord) error {
	found := false
	var errs []error
	for _, ix := range mp.lookups {
		if ix.stream != stream {
			continue
		}
		found = true
		ix.records = make(map[string]any, len(recs))
		for _, r := range recs {
			root, err := decodeAll(r.Payload)
			if err != nil {
				errs = append(errs, fmt.Errorf("lookup stream %s: record %s: %w", stream, r.NativeID, err))
				continue
			}
			k := r.NativeID
			if ix.key != nil {
				k = rawVal(get(root, ix.key)).text()
			}
			if k != "" {
				ix.records[k] = root
			}
		}
		ix.loaded = true
	}
	if !found {
		return fmt.Errorf("mapping has no lookup on stream %q", stream)
	}
	return errors.Join(errs...)
}

// decodeAll decodes a whole payload, keeping numbers as json.Number.
func decodeAll(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}
