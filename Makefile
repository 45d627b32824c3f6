# hull: thin, pinned wrappers. Two commands do all the set-up on a fresh
# machine: `make demo` and `make test` (what CI runs).

GO        ?= go
FUZZTIME  ?= 60s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

.PHONY: all tools build demo test test-short lint fuzz fuzz-brief bench golden tidy-check clean docs release proto difftest

all: build

# bin/hull and its companion bin/hull-kms (the cloud key sources): the
# build of 'go install ./cmd/...' (no -ldflags: both take their version
# from the build information the go command records, and hull accepts only
# the hull-kms of its own version), static as the release: without cgo hull
# loads no libc, about 1 ms less per run. The one difference is the tag
# urfave_cli_no_docs, which the release uses too: it leaves out urfave/cli's
# own man and Markdown writers and the Markdown library under them (hull
# writes its man page and reference with internal/clidoc), whose package
# initialisation cost about 0.3 ms per run. A 'go install' without the tag
# builds the same hull, only that much slower to start.
BUILDTAGS = urfave_cli_no_docs
build:
	CGO_ENABLED=0 $(GO) build -tags $(BUILDTAGS) -buildvcs=auto -trimpath -o bin/hull ./cmd/hull
	CGO_ENABLED=0 $(GO) build -tags $(BUILDTAGS) -buildvcs=auto -trimpath -o bin/hull-kms ./cmd/hull-kms

# Build hull and run the main job on examples/ with a throwaway age key.
demo:
	./scripts/demo.sh

# Everything CI checks: formatting, vet, the tests with the race detector,
# and every fuzz target for a few seconds; then 200 cases of the
# differential test against the reference sops (cmd/hull/difftest_test.go;
# without -race, which makes every hull it starts slow). TESTTIMEOUT bounds
# each package's test binary: the slowest, cmd/hull, starts hull well over
# a thousand times, so its time follows the cost of starting a process: a
# few minutes under -race where CI runs (all of make test took 215 s
# there), 7.8 minutes on a 2-core guest where an empty Go program takes
# 6 ms from exec to exit. The timeout leaves room for such a machine.
# GORACE: under -race every program that exits cleanly sleeps 1 s
# (atexit_sleep_ms) so that late race reports can land; the tests start
# hull, the companion and helper programs well over a thousand times.
# Races are still reported when they happen and still fail the run.
TESTTIMEOUT ?= 12m
test: tools lint
	GORACE=atexit_sleep_ms=0 $(GO) test -race -count=1 -timeout $(TESTTIMEOUT) ./...
	$(MAKE) difftest N=200
	$(MAKE) fuzz-brief

# Test tools, pinned: the AWS KMS emulator the kms tests start on loopback
# (internal/localkms finds it through HULL_LOCAL_KMS), and the reference sops
# the key service interop tests (cmd/hull/testdata/keyservice_*.txtar) and
# make bench run against.
# The tests find the reference sops through HULL_REFERENCE_SOPS (the
# differential test and the [refsops] scripts).
LOCAL_KMS_VERSION := v0.0.0-20260228092603-2a5e92d09ab6
SOPS_VERSION      := v3.13.3
export HULL_LOCAL_KMS := $(CURDIR)/.tools/bin/local-kms
export HULL_REFERENCE_SOPS := $(CURDIR)/.tools/bin/sops

tools: $(HULL_LOCAL_KMS) $(HULL_REFERENCE_SOPS)

$(HULL_LOCAL_KMS):
	GOBIN=$(CURDIR)/.tools/bin $(GO) install github.com/nsmithuk/local-kms@$(LOCAL_KMS_VERSION)

$(HULL_REFERENCE_SOPS):
	GOBIN=$(CURDIR)/.tools/bin $(GO) install github.com/getsops/sops/v3/cmd/sops@$(SOPS_VERSION)

# The seeded differential test of hull against the reference sops:
# make difftest N=5000 SEED=7. It prints the seed and the counts per format
# and per check; a failure prints the input and the commands that show it.
N    ?= 300
SEED ?= 1
difftest: tools
	HULL_DIFFTEST_N=$(N) HULL_DIFFTEST_SEED=$(SEED) HULL_DIFFTEST_SUMMARY=1 \
		$(GO) test -v -count=1 -timeout 0 -run '^TestDifftest' ./cmd/hull/

# The Go code of the sops key service protocol (internal/keyservice/pb),
# committed: only this target needs protoc (apt-get install
# protobuf-compiler), with the plugins pinned here.
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1

proto:
	GOBIN=$(CURDIR)/.tools/bin $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(CURDIR)/.tools/bin $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	$(GO) generate ./internal/keyservice/pb

test-short:
	$(GO) test -short -timeout $(TESTTIMEOUT) ./...

lint:
	@out=$$(gofmt -l . | grep -v '^testdata/' || true); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz-brief:
	./scripts/fuzz.sh 2s

# Long fuzzing, not in CI: make fuzz FUZZTIME=10m
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# Median wall time and peak memory of encrypt and decrypt on generated inputs,
# against the reference sops (make tools) and the age CLI when installed.
bench:
	./scripts/bench.sh

# Rewrite golden files after an intended output change.
golden:
	$(GO) test ./... -update

# Regenerate the man page and the Markdown reference from the command
# definitions (a test fails when the committed files differ).
docs:
	@for f in man:hull.1 markdown:reference.md; do \
		out=docs/$${f#*:}; \
		$(GO) run ./cmd/hull docs $${f%%:*} >$$out.tmp && mv $$out.tmp $$out || { rm -f $$out.tmp; exit 1; }; \
		echo "wrote $$out"; \
	done

# Static binaries for linux, darwin and windows on amd64 and arm64 in dist/,
# named hull_<version>_<os>_<arch>[.exe] and hull-kms_<version>_<os>_<arch>[.exe],
# and dist/SHA256SUMS.
release:
	GO='$(GO)' VERSION='$(VERSION)' COMMIT='$(COMMIT)' ./scripts/release.sh

tidy-check:
	$(GO) mod tidy -diff

clean:
	rm -rf bin dist
