package main

import (
	"context"
	"fmt"
)

func (a *app) migrate(ctx context.Context, args []string) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	wh, err := a.openWarehouse(ctx, cfg)
	if err != nil {
		return err
	}
	defer wh.Close()
	fmt.Fprintf(a.stdout, "warehouse %s (database %s) is up to date\n", cfg.Warehouse.URL, cfg.Warehouse.Database)
	return nil
}
