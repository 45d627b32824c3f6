# hull: thin, pinned wrappers. Two commands do all the set-up on a fresh
# machine: `make demo` and `make test` (what CI runs).

GO        ?= go
FUZZTIME  ?= 60s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build demo test test-short lint fuzz fuzz-brief bench golden tidy-check clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/hull ./cmd/hull

# Build hull and run the main job on examples/ with a throwaway age key.
demo:
	./scripts/demo.sh

# Everything CI checks: formatting, vet, the tests with the race detector,
# and every fuzz target for a few seconds.
test: lint
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz-brief

test-short:
	$(GO) test -short ./...

lint:
	@out=$$(gofmt -l . | grep -v '^testdata/' || true); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz-brief:
	./scripts/fuzz.sh 2s

# Long fuzzing, not in CI: make fuzz FUZZTIME=10m
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# Wall time and peak memory of encrypt and decrypt on generated inputs.
bench:
	./scripts/bench.sh

# Rewrite golden files after an intended output change.
golden:
	$(GO) test ./... -update

tidy-check:
	$(GO) mod tidy -diff

clean:
	rm -rf bin
