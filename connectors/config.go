package connectors

import (
	"fmt"
	"log/slog"
	"strings"
)

// SourceConfig is one entry of `sources:` in pmohub.yaml.
type SourceConfig struct {
	Name string
	Kind string
	URL  string
	Auth Auth
	// Settings decodes the kind-specific keys (everything but name, kind, url, auth,
	// mapping and schedule) into the connector's own struct, strictly: unknown keys and
	// wrong types are errors naming the file, line and key.
	Settings Settings
}

// Settings decodes kind-specific configuration.
type Settings interface {
	Decode(into any) error
}

// Auth holds a source's credentials. Values are Secrets: they never print.
type Auth map[string]Secret

// Get returns the secret's value for use on the wire.
func (a Auth) Get(key string) string { return string(a[key]) }

// Secret is a credential. It prints as [redacted] in logs, errors and %v.
type Secret string

func (s Secret) String() string               { return "[redacted]" }
func (s Secret) GoString() string             { return "[redacted]" }
func (s Secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (s Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Redact replaces every secret value of auth found in msg.
func (a Auth) Redact(msg string) string {
	for _, s := range a {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, string(s), "[redacted]")
		}
	}
	return msg
}

// SourceError is a failure talking to a source: it names the source, the endpoint and the
// HTTP status, so an admin knows what to fix.
type SourceError struct {
	Source   string
	Endpoint string // method and path, without query secrets
	Status   int    // HTTP status, 0 for transport errors
	Message  string // the source's own error text, redacted
	Hint     string // what to do about it, when known
	Err      error
}

func (e *SourceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "source %s: %s", e.Source, e.Endpoint)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	} else if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

func (e *SourceError) Unwrap() error { return e.Err }
