package connectors

import (
	"strings"
	"testing"
)

func TestYAMLSettingsStrict(t *testing.T) {
	var cfg struct {
		Projects []string `yaml:"projects"`
	}
	err := YAMLSettings{File: "pmohub.yaml", Text: []byte("projects: [A]\nprojcts: [B]\n")}.Decode(&cfg)
	if err == nil || !strings.Contains(err.Error(), "pmohub.yaml") || !strings.Contains(err.Error(), "projcts") || !strings.Contains(err.Error(), "[2:") {
		t.Fatalf("want an error naming file, line and key, got %v", err)
	}
	if err := (YAMLSettings{File: "x", Text: []byte("projects: [A, B]")}).Decode(&cfg); err != nil || len(cfg.Projects) != 2 {
		t.Fatalf("decode: %v %v", err, cfg)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	a := Auth{"token": "s3cr3t-value"}
	if got := a.Redact("bad token s3cr3t-value here"); strings.Contains(got, "s3cr3t") {
		t.Fatal(got)
	}
	if s := strings.Join([]string{a["token"].String()}, ""); s != "[redacted]" {
		t.Fatal(s)
	}
}
