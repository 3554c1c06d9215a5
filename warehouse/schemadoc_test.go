package warehouse

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated files")

func TestSchemaDocIsCurrent(t *testing.T) {
	want := SchemaMarkdown()
	if *update {
		if err := os.WriteFile("SCHEMA.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("SCHEMA.md")
	if err != nil || string(got) != want {
		t.Fatalf("warehouse/SCHEMA.md is out of date: run go test ./warehouse -run TestSchemaDoc -update")
	}
}
