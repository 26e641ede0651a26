# Invariants — fresh machine: `make demo` (the main job) and `make test` (the whole suite).
# Both install what is missing first (Debian packages, when run as root).

SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin
PG_BIN ?= /usr/lib/postgresql/15/bin
SWIFT_BUILD_FLAGS ?=
INVARIANTS := .build/debug/invariants
APT_PACKAGES := postgresql-15 postgresql-client-15

.PHONY: all deps build demo test generate check-generated dev lint bench clean

all: build

## deps: install PostgreSQL 15 (server and client) when absent; needs root for apt-get.
deps:
	@missing=""; \
	[ -x "$(PG_BIN)/initdb" ] || missing="$(APT_PACKAGES)"; \
	command -v psql >/dev/null || missing="$(APT_PACKAGES)"; \
	command -v setpriv >/dev/null || missing="$$missing util-linux"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing: $$missing — install them (sudo apt-get install -y $$missing) and rerun"; exit 1; \
	  fi; \
	fi
	@command -v swift >/dev/null || { echo "swift not found: install Swift 6.3 (expected at /opt/swift)"; exit 1; }

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

## demo: a throwaway PostgreSQL, migrated, a scripted workload through the Swift client, a report.
demo: build
	$(INVARIANTS) demo --pg-bin $(PG_BIN)

## test: generated SQL is current, then every test suite against a real throwaway PostgreSQL.
test: deps
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	$(INVARIANTS) generate --check
	INVARIANTS_PG_BIN=$(PG_BIN) swift test --skip-build $(SWIFT_BUILD_FLAGS)

generate: build
	$(INVARIANTS) generate

check-generated: build
	$(INVARIANTS) generate --check

dev: build
	$(INVARIANTS) dev --pg-bin $(PG_BIN)

## lint: the security lint (splinter's rules) against $$DATABASE_URL; `make test` lints the migrated catalog too.
lint: build
	$(INVARIANTS) lint

## bench: every benchmark (Sources/InvariantsBench, one file each) on throwaway servers, then one table
## (docs/benchmarks.md). Exit 1 when a goal is missed. BENCH_FLAGS="--quick" for a smoke run,
## "--only counter-inserts,rls" for some, "--list" for the names and options.
BENCH_FLAGS ?=
bench: deps
	swift build --product InvariantsBench $(SWIFT_BUILD_FLAGS)
	INVARIANTS_PG_BIN=$(PG_BIN) $$(swift build --show-bin-path $(SWIFT_BUILD_FLAGS))/InvariantsBench $(BENCH_FLAGS)

clean:
	rm -rf .build .invariants
