package config

import (
	"strings"
	"testing"
	"time"
)

var kinds = []string{"jira", "github", "sheets", "smartsheet"}

func TestParseFullConfig(t *testing.T) {
	t.Setenv("JIRA_TOKEN", "tok-123456")
	cfg, err := Parse("pmohub.yaml", []byte(`
tenant: acme
warehouse:
  url: embedded://./data/wh
sources:
  - name: jira-main
    kind: jira
    url: https://acme.atlassian.net
    auth: {email: pmo@acme.com, token: "${JIRA_TOKEN}"}
    schedule: 5m
    projects: [ALPHA, BETA]
`), kinds)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0]
	if cfg.Tenant != "acme" || cfg.Warehouse.Database != "pmo" || s.Name != "jira-main" || s.Schedule != 5*time.Minute || s.Auth.Get("token") != "tok-123456" {
		t.Fatalf("%+v", cfg)
	}
	var extra struct {
		Projects []string `yaml:"projects"`
	}
	if err := s.Settings.Decode(&extra); err != nil || len(extra.Projects) != 2 {
		t.Fatalf("settings: %v %v", extra, err)
	}
	if strings.Contains(strings.Join([]string{s.Auth["token"].String()}, ""), "tok-") {
		t.Fatal("secret printed")
	}
}

func TestErrorsNameFileLineAndKey(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"unknown top key": {"tenant: a\nwarehous: {}\n", "warehous"},
		"wrong type":      {"sources: 5\n", "pmohub.yaml"},
		"unknown kind":    {"sources:\n  - name: x\n    kind: trello\n", `pmohub.yaml:2: source "x": kind "trello"`},
		"duplicate name":  {"sources:\n  - {name: x, kind: jira}\n  - {name: x, kind: jira}\n", "already used on line 2"},
		"missing env":     {"warehouse:\n  url: \"${PMOHUB_NOPE_X}\"\n", "pmohub.yaml:2: ${PMOHUB_NOPE_X}: environment variable PMOHUB_NOPE_X is not set"},
		"bad schedule":    {"sources:\n  - {name: x, kind: jira, schedule: often}\n", "schedule \"often\""},
		"yaml syntax":     {"sources: [\n", "pmohub.yaml"},
		"bad tenant":      {"tenant: \"a b\"\n", "tenant"},
	}
	for name, c := range cases {
		_, err := Parse("pmohub.yaml", []byte(c.text), kinds)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want error containing %q, got %v", name, c.want, err)
		}
	}
}

func TestKindSpecificKeysAreStrictWithRealLines(t *testing.T) {
	cfg, err := Parse("pmohub.yaml", []byte("sources:\n  - name: x\n    kind: jira\n    projects: [A]\n    projetcs: [B]\n"), kinds)
	if err != nil {
		t.Fatal(err)
	}
	var extra struct {
		Projects []string `yaml:"projects"`
	}
	err = cfg.Sources[0].Settings.Decode(&extra)
	if err == nil || !strings.Contains(err.Error(), "[5:") || !strings.Contains(err.Error(), "projetcs") {
		t.Fatalf("want line 5 and the key, got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("tenant: a\nsources:\n  - {name: x, kind: jira, url: http://x}\n"))
	f.Add([]byte("warehouse: {url: 'embedded://x'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse("fuzz.yaml", data, kinds)
	})
}

func TestMissingEnvInASourceFailsOnlyThatSource(t *testing.T) {
	cfg, err := Parse("pmohub.yaml", []byte("sources:\n  - name: x\n    kind: jira\n    auth: {token: \"${PMOHUB_NOPE_Y}\"}\n  - {name: y, kind: jira}\n"), kinds)
	if err != nil {
		t.Fatal(err)
	}
	if e := cfg.Sources[0].Unusable; e == nil || !strings.Contains(e.Error(), "pmohub.yaml:4: ${PMOHUB_NOPE_Y}") {
		t.Fatalf("source x: %v", e)
	}
	if cfg.Sources[1].Unusable != nil {
		t.Fatalf("source y: %v", cfg.Sources[1].Unusable)
	}
}
