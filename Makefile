# Makefile for the NATS bridge. Every target wraps one go command line.
#
#   make run         run the bridge (embedded NATS server, demo route)
#   make test        vet, then all tests with the race detector (what CI runs)
#   make test-short  the same, skipping the slow end-to-end tests
#   make bench       Go benchmarks of the hot path
#   make fuzz        run every fuzz target for FUZZTIME (default 60s)
#   make lint        gofmt check, go vet, staticcheck
#   make docs        regenerate docs/configuration.md from the config struct
#   make tidy-check  fail if go.mod/go.sum are not tidy
#   make build       build bin/bridge

GO        ?= go
FUZZTIME  ?= 60s
STATICCHECK_VERSION ?= v0.8.2
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)

.PHONY: all build run test test-short bench fuzz lint docs tidy-check clean

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/bridge ./cmd/bridge

run:
	$(GO) run ./cmd/bridge

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

test-short:
	$(GO) test -race -short -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./stream/ ./artifact/

fuzz:
	$(GO) test ./artifact/ -run '^$$' -fuzz FuzzUnmarshal -fuzztime $(FUZZTIME)
	$(GO) test ./stream/ -run '^$$' -fuzz FuzzWrite -fuzztime $(FUZZTIME)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

docs:
	$(GO) generate ./internal/config/

tidy-check:
	$(GO) mod tidy
	git diff --exit-code -- go.mod go.sum

clean:
	rm -rf bin
