# pmohub: the two commands a newcomer needs are `make demo` and `make test`.
# Both install what is missing first (libchdb into a user cache, Go modules, and for the
# browser tests Debian's chromium).

GO      ?= go
BIN     := bin/pmohub
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: demo test build libchdb chromium bench fuzz lint clean

## demo: a simulated organisation synced end to end, with the dashboard (see README)
demo: libchdb build
	$(BIN) demo

## test: every test, on the real ClickHouse engine (chDB) and headless Chromium
test: libchdb chromium
	$(GO) test -count=1 -timeout 40m ./...

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/pmohub

libchdb:
	@scripts/install-libchdb.sh >/dev/null

chromium:
	@scripts/install-chromium.sh

## bench: the figures the issues ask for (slow; run on a quiet machine)
bench: libchdb
	$(GO) test -run XXX -bench . -benchtime 1x -timeout 60m ./...

## fuzz: each fuzz target for 30 s
fuzz:
	@scripts/fuzz-all.sh 30s

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet ./...

clean:
	rm -rf bin data
