// Command pmohub is the PMO integration hub: it syncs Jira, GitHub, Google Sheets and
// Smartsheet into one portfolio model in ClickHouse. This package is wiring only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/pmohub/pmohub/warehouse/chdb"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `pmohub: the PMO integration hub

Usage:
  pmohub [--config FILE] COMMAND [flags]

Commands:
  demo      run a simulated organisation end to end (the README's first command)
  sync      sync sources into the warehouse once   [--source NAME] [--full]
  serve     the dashboard, the API and scheduled syncs  [--listen ADDR]
  metrics   print a metric as JSON                  NAME [--project P] [--from D] [--to D]
  migrate   bring the warehouse schema up to date
  query     run SQL against the warehouse           [--format FMT] "SQL"
  mappings  validate, preview, apply, history, rollback and schema of field mappings
  version   print the version

The config file is --config, else $PMOHUB_CONFIG, else ./pmohub.yaml.
`

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(code)
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pmohub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	configPath := fs.String("config", "", "config file")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for performance work)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "pmohub:", err)
			return 2
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "pmohub:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	logger := newLogger(stderr, *logLevel)
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := &app{configPath: *configPath, stdout: stdout, stderr: stderr, logger: logger}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	var err error
	switch cmd {
	case "sync":
		err = app.sync(ctx, rest)
	case "migrate":
		err = app.migrate(ctx, rest)
	case "query":
		err = app.query(ctx, rest)
	case "demo":
		err = app.demo(ctx, rest)
	case "mappings":
		err = app.mappings(ctx, rest)
	case "serve":
		err = app.serve(ctx, rest)
	case "metrics":
		err = app.metrics(ctx, rest)
	case "version":
		fmt.Fprintf(stdout, "pmohub %s (chDB %s)\n", version, chdb.Version)
	case "help", "-h", "--help":
		fs.Usage()
	default:
		fmt.Fprintf(stderr, "pmohub: unknown command %q\n\n", cmd)
		fs.Usage()
		return 2
	}
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "pmohub:", ee.err)
		}
		return ee.code
	}
	if errors.Is(err, chdb.ErrLibraryMissing) {
		fmt.Fprintln(stderr, "pmohub:", err)
		return 3
	}
	fmt.Fprintln(stderr, "pmohub:", err)
	return 1
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
