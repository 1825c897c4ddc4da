# Makefile for the NATS bridge. Every target wraps one go command line.
#
#   make run         run the bridge (embedded NATS server, demo route)
#   make test        vet, all tests with the race detector, every benchmark
#                    once (what CI runs)
#   make test-short  the same, skipping the slow end-to-end tests
#   make soak        test/fault's TestSoak for SOAK (default 30m; make test
#                    runs it for 2 minutes): mixed routes at a steady rate,
#                    every message accounted for, RSS and goroutines flat
#   make bench       bridge binary vs bare nats.go relays and the peers, Bento
#                    and Watermill, built from bench/peers, and the jq stage
#                    alone, 2 workers vs 1, from bin/jq.test (bench/README.md);
#                    BENCH_FLAGS="-quick" for a smoke test, "-peers=false"
#                    to leave the peers out
#   make bench-go    Go micro-benchmarks of stream/ and artifact/
#   make bench-profile  CPU and memory profiles of the bridge's hot path
#                    (BENCH_PROFILE=BridgeJetStream BENCH_PROFILE_N=400000x
#                    for a JetStream route)
#   make fuzz        run every fuzz target for FUZZTIME (default 60s)
#   make lint        gofmt check, go vet, staticcheck
#   make docs        regenerate docs/configuration.md from the config struct
#   make tidy-check  fail if go.mod/go.sum are not tidy
#   make build       build bin/bridge
#   make compose-up  build the image and start deploy/docker-compose.yml
#                    (NATS, bridge, Prometheus, Grafana); needs Docker
#   make compose-down  stop that stack and delete its volumes
#   make helm-lint   helm lint's rules on the chart deploy/helm/nats-bridge
#                    (make test runs all its checks: deploy/helm)
#   make helm-update regenerate the chart's table of values (its README)
#                    and refresh its copies of the alert rules and dashboard

GO        ?= go
FUZZTIME  ?= 60s
SOAK      ?= 30m
BENCH_FLAGS ?=
BENCH_PROFILE ?= BridgePassthrough
BENCH_PROFILE_N ?= 3000000x
STATICCHECK_VERSION ?= v0.8.2
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
COMPOSE   ?= docker compose -f deploy/docker-compose.yml
# The root module is the library embedders download. Test-only modules with
# heavy dependencies (compose-go, YAML, Helm and Kubernetes types,
# fault-injection tools, chromedp) live beside it, each with a go.mod of its
# own that replaces the root module.
MODULES   := . deploy deploy/helm test/fault test/browser
# The benchmark's peers (Bento, Watermill): a module each, with the
# requirements of its release; only make bench builds them, neither make
# test nor the library's module graph carries them.
PEERS_MODULES := bench/peers/bento bench/peers/watermill

.PHONY: all build run test test-short soak bench bench-go bench-profile fuzz lint docs tidy-check clean compose-up compose-down helm-lint helm-update

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/bridge ./cmd/bridge

run:
	$(GO) run ./cmd/bridge

test:
	@set -e; for m in $(MODULES); do echo "== vet $$m"; (cd $$m && $(GO) vet ./...); done
	@set -e; for m in $(MODULES); do echo "== test $$m"; (cd $$m && $(GO) test -race -count=1 -timeout 20m ./...); done
	# Every benchmark once, so that none rots unnoticed (about 10 s).
	$(GO) test -run '^$$' -bench . -benchtime 1x -count=1 ./...

test-short:
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) test -race -short -count=1 ./...); done

soak:
	cd test/fault && $(GO) test -race -count=1 -run '^TestSoak$$' -soak $(SOAK) -timeout 2h -v .

# The stage-workers scenario runs BenchmarkStage from the jq package's test
# binary, built here, like bin/bridge, so that it is never stale.
bench: build
	CGO_ENABLED=0 $(GO) test -c -trimpath -o bin/jq.test ./jq
	$(GO) run ./bench/cmd/bench -bridge bin/bridge -stage-bench bin/jq.test $(BENCH_FLAGS)

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./stream/ ./artifact/

bench-profile:
	$(GO) test ./bench/ -run '^$$' -bench '$(BENCH_PROFILE)$$' -benchtime $(BENCH_PROFILE_N) -cpuprofile bench/results/cpu.pprof -memprofile bench/results/mem.pprof -o bench/results/bench.test

fuzz:
	$(GO) test ./artifact/ -run '^$$' -fuzz FuzzUnmarshal -fuzztime $(FUZZTIME)
	$(GO) test ./stream/ -run '^$$' -fuzz FuzzWrite -fuzztime $(FUZZTIME)
	$(GO) test ./bridge/ -run '^$$' -fuzz FuzzAckInfo -fuzztime $(FUZZTIME)
	$(GO) test ./bridge/ -run '^$$' -fuzz FuzzHeaderCarrier -fuzztime $(FUZZTIME)
	$(GO) test ./internal/otlpexport/ -run '^$$' -fuzz FuzzSameAsTheSDKExporter -fuzztime $(FUZZTIME)
	$(GO) test ./jq/ -run '^$$' -fuzz FuzzProcess -fuzztime $(FUZZTIME)
	$(GO) test ./jq/ -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./jq/ -run '^$$' -fuzz FuzzEncode -fuzztime $(FUZZTIME)
	$(GO) test ./jq/ -run '^$$' -fuzz FuzzNative -fuzztime $(FUZZTIME)
	$(GO) test ./jq/ -run '^$$' -fuzz FuzzExactFloat -fuzztime $(FUZZTIME)
	$(GO) test ./stream/ -run '^$$' -fuzz FuzzParseOrder -fuzztime $(FUZZTIME)
	$(GO) test ./internal/subjectmap/ -run '^$$' -fuzz FuzzLiteralMatchesLikeServer -fuzztime $(FUZZTIME)
	$(GO) test ./internal/subjectmap/ -run '^$$' -fuzz FuzzMapLikeServer -fuzztime $(FUZZTIME)
	$(GO) test ./internal/subjectmap/ -run '^$$' -fuzz FuzzSubjectRulesLikeServer -fuzztime $(FUZZTIME)
	cd deploy/helm && $(GO) test ./chartdoc/ -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./internal/config/ -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME)
	$(GO) test ./internal/routetest/ -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./internal/routetest/ -run '^$$' -fuzz FuzzDiffPayload -fuzztime $(FUZZTIME)
	$(GO) test ./internal/status/ -run '^$$' -fuzz FuzzQuantile -fuzztime $(FUZZTIME)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

docs:
	$(GO) generate ./internal/config/

tidy-check:
	@set -e; for m in $(MODULES) $(PEERS_MODULES); do (cd $$m && $(GO) mod tidy); done
	git diff --exit-code -- '*go.mod' '*go.sum'

compose-up:
	VERSION=$(VERSION) $(COMPOSE) up -d --build

compose-down:
	$(COMPOSE) down -v

helm-lint:
	cd deploy/helm && $(GO) test -count=1 -run '^TestLint$$' -v .

helm-update:
	cd deploy/helm && $(GO) test -count=1 -run '^(TestChartReadme|TestFileCopies)$$' . -update

clean:
	rm -rf bin
