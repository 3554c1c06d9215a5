package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/pmohub/pmohub/warehouse"
)

func (a *app) query(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	format := fs.String("format", "PrettyCompact", "any ClickHouse output format: JSONEachRow, CSVWithNames, PrettyCompact, …")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	sql := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if sql == "" {
		return &exitError{code: 2, err: errors.New(`query: give the SQL, e.g. pmohub query "SELECT count() FROM work_items"`)}
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	wh, err := a.openWarehouse(ctx, cfg)
	if err != nil {
		return err
	}
	defer wh.Close()
	// Analysts write unqualified names: run in the model's database.
	if err := wh.Exec(ctx, "USE "+"`"+cfg.Warehouse.Database+"`"); err != nil {
		return err
	}
	out, err := wh.Query(ctx, sql, *format)
	if err != nil {
		var qe *warehouse.QueryError
		if errors.As(err, &qe) {
			return &exitError{code: 1, err: fmt.Errorf("%s", qe.Message)}
		}
		return err
	}
	_, err = a.stdout.Write(out)
	return err
}
