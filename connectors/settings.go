package connectors

import (
	"bytes"
	"fmt"

	"github.com/goccy/go-yaml"
)

// YAMLSettings decodes kind-specific keys from YAML text, strictly. pmohub.yaml's loader
// uses it with the source's own keys; tests use it directly.
type YAMLSettings struct {
	File string // the file the text came from, for error messages
	Text []byte
}

// Decode fills into (a struct with yaml tags); unknown keys and wrong types are errors
// with the file, line and key.
func (s YAMLSettings) Decode(into any) error {
	if len(bytes.TrimSpace(s.Text)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(s.Text), yaml.Strict(), yaml.DisallowUnknownField())
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("%s: %s", s.File, yaml.FormatError(err, false, true))
	}
	return nil
}
