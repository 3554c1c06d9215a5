package main

import (
	"context"
	"errors"
)

func (a *app) mappings(ctx context.Context, args []string) error {
	return errors.New("mappings: not built yet")
}
