package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pmohub/pmohub/warehouse"
)

// These tests need a real ClickHouse server (none can run on the build machines):
//
//	PMOHUB_TEST_CLICKHOUSE_URL=clickhouse://default:@localhost:9000/default go test ./warehouse/server/
//
// They create and drop a database of their own.
func liveBackend(t *testing.T) (*Backend, string) {
	t.Helper()
	raw := os.Getenv("PMOHUB_TEST_CLICKHOUSE_URL")
	if raw == "" {
		t.Skip("PMOHUB_TEST_CLICKHOUSE_URL is not set: skipping tests against a real ClickHouse server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Open(ctx, raw, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	db := fmt.Sprintf("pmohub_test_%d", time.Now().UnixNano())
	if err := b.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = b.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		b.Close()
	})
	return b, db
}

func TestLiveRoundTrip(t *testing.T) {
	b, db := liveBackend(t)
	ctx := context.Background()
	if b.Kind() != "server" {
		t.Fatal(b.Kind())
	}
	cols := warehouse.WorkItems.AllColumns()
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = quoteIdent(c.Name) + " " + c.Type
	}
	table := db + ".work_items_versions"
	if err := b.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (%s) ENGINE = ReplacingMergeTree(version, is_deleted) ORDER BY (tenant, source, generation, item_id)", table, strings.Join(defs, ", "))); err != nil {
		t.Fatal(err)
	}
	if err := b.Insert(ctx, table, cols, sampleWorkItems()); err != nil {
		t.Fatal(err)
	}
	out, err := b.Query(ctx, "SELECT item_id, title, estimate, created_at, due_date, labels, attributes FROM "+table+" ORDER BY item_id", "JSONEachRow")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("rows: %s", out)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
		t.Fatal(err)
	}
	if row["title"] != "Café 'quoted' \"double\"\ttab\nline" || row["estimate"] != 3.5 || row["created_at"] != "2024-03-04 05:06:07.891" || row["due_date"] != "2024-06-30" {
		t.Errorf("row %v", row)
	}
	for _, f := range SupportedFormats {
		if _, err := b.Query(ctx, "SELECT * FROM "+table, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	csv, err := b.Query(ctx, "SELECT count() AS n FROM "+table, "CSVWithNames")
	if err != nil || string(csv) != "\"n\"\n2\n" {
		t.Errorf("count: %q %v", csv, err)
	}
}

func TestLiveServerErrorsAreQueryErrors(t *testing.T) {
	b, db := liveBackend(t)
	_, err := b.Query(context.Background(), "SELECT * FROM "+db+".nope", "JSONEachRow")
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) || qe.Code != 60 || !strings.Contains(qe.Message, "Code: 60.") {
		t.Fatalf("want QueryError code 60 (UNKNOWN_TABLE), got %T %v", err, err)
	}
	if err := b.Exec(context.Background(), "SELEC 1"); !errors.As(err, &qe) || qe.Code != 62 {
		t.Fatalf("want QueryError code 62 (SYNTAX_ERROR), got %v", err)
	}
}
