package github

import (
	"encoding/json"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The hot path reads every page once: split into elements (validated) and decode the few
// fields the connector needs, with the single-pass json v2 decoder. Payloads are stored
// as the bytes received.

// fast skips the duplicate-name bookkeeping: GitHub's objects have unique names, and the
// payloads are stored as received whatever the connector reads from them.
var fast = jsontext.AllowDuplicateNames(true)

// splitList splits a JSON array into its elements, validating it on the way.
func splitList(body []byte) ([]json.RawMessage, error) {
	var vs []jsontext.Value
	if err := jsonv2.Unmarshal(body, &vs, fast); err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(vs))
	for i, v := range vs {
		out[i] = json.RawMessage(v)
	}
	return out, nil
}

// decodeItem reads the fields of v (unknown keys ignored) from one element.
func decodeItem(b []byte, v any) error { return jsonv2.Unmarshal(b, v, fast) }

// encode writes the envelope with the fetched parts appended as received (they were
// validated when their page was split), so the raw layer keeps their exact bytes.
func (e *envelope) encode() json.RawMessage {
	b := make([]byte, 0, len(e.Issue)+len(e.Pull)+len(e.Milestone)+512)
	b = append(b, `{"kind":`...)
	b, _ = jsontext.AppendQuote(b, e.Kind)
	b = append(b, `,"repository":`...)
	b, _ = jsontext.AppendQuote(b, e.Repository)
	for _, part := range []struct {
		name string
		raw  json.RawMessage
	}{{"issue", e.Issue}, {"pull", e.Pull}, {"milestone", e.Milestone}} {
		if len(part.raw) > 0 {
			b = append(b, `,"`+part.name+`":`...)
			b = append(b, part.raw...)
		}
	}
	b = append(b, `,"derived":`...)
	b = append(b, mustJSON(e.Derived)...)
	return append(b, '}')
}
