package main

import (
	"context"
	"errors"
)

func (a *app) demo(ctx context.Context, args []string) error {
	return errors.New("demo: not built yet")
}
