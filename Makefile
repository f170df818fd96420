# BestHub: `make run` serves the site with demo content, `make test` runs every test.
# Both install what is missing first and are quiet when nothing is.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

# Build output lives outside the clone so fresh clones (CI) reuse a warm cache.
export CARGO_TARGET_DIR ?= /var/tmp/besthub/target
TOOLS_DIR ?= /var/tmp/besthub/tools
CARGO_LEPTOS_VERSION := 0.3.10
# Must equal the wasm-bindgen crate version pinned in Cargo.toml / Cargo.lock.
WASM_BINDGEN_VERSION := 0.2.129

# The pinned wasm-bindgen CLI and the npm binaryen's wasm-opt come before anything else.
export PATH := $(TOOLS_DIR)/bin:$(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

# What the server binary needs to find the built site (cargo-leptos sets these itself).
SITE_ENV := LEPTOS_SITE_ROOT=$(CURDIR)/target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=besthub LEPTOS_ENV=PROD

.PHONY: run test setup build precompress fmt lint unit e2e wasm-target cargo-leptos wasm-bindgen nextest node-deps chromium brotli

## run: build the release site and serve it on BESTHUB_LISTEN (default 127.0.0.1:3000).
run: setup build
	@echo "Serving on http://$${BESTHUB_LISTEN:-127.0.0.1:3000} (Ctrl-C to stop)"
	@$(SITE_ENV) exec "$(CARGO_TARGET_DIR)/release/besthub" serve

## test: formatting, lints (ssr and hydrate), release build, Rust tests, Playwright.
test: setup fmt lint build unit e2e

setup: wasm-target cargo-leptos wasm-bindgen nextest node-deps chromium brotli

# `cargo leptos build --release` always runs wasm-bindgen and wasm-opt again (40 to 60 s on two
# cores), even when nothing changed. So each successful build is kept under a hash of the
# contents of everything that goes into it (BUILD_INPUTS, the toolchain and the build tools'
# versions): the site (target/site) is copied into BUILD_CACHE, next to the checksum of the
# release binary it was built with. When the inputs hash to a kept build and the release
# binary is still that one, the build is skipped (and the kept site is put back if
# target/site differs from it). Contents, not modification times: a fresh clone of the same tree
# skips too; any change, a missing site or another binary builds again. The last
# BUILD_CACHE_KEEP builds are kept (a few MB each, the site only).
BUILD_INPUTS := Cargo.toml Cargo.lock src style public migrations demo \
	$(wildcard build.rs .cargo rust-toolchain rust-toolchain.toml)
BUILD_CACHE := $(CARGO_TARGET_DIR)/besthub-builds
BUILD_CACHE_KEEP := 4
RELEASE_BIN := $(CARGO_TARGET_DIR)/release/besthub

build:
	@key=$$( { rustc -V; cargo leptos --version; "$(TOOLS_DIR)/bin/wasm-bindgen" --version; \
			wasm-opt --version 2>/dev/null || true; \
			find $(BUILD_INPUTS) -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; \
		} | sha256sum | cut -c1-32 ); \
	kept="$(BUILD_CACHE)/$$key"; \
	if [ -f "$$kept/besthub.sha256" ] && [ -d "$$kept/site/pkg" ] && [ -x "$(RELEASE_BIN)" ] && \
		sha256sum --check --status "$$kept/besthub.sha256"; then \
		if ! diff -rq "$$kept/site" target/site >/dev/null 2>&1; then \
			rm -rf target/site && mkdir -p target && cp -a "$$kept/site" target/site; \
		fi; \
		echo "build: nothing that goes into it changed (inputs $$key): cargo leptos build skipped"; \
	else \
		cargo leptos build --release; \
		$(MAKE) --no-print-directory precompress; \
		rm -rf "$$kept" "$$kept.tmp" && mkdir -p "$$kept.tmp" && cp -a target/site "$$kept.tmp/site" && \
		sha256sum "$(RELEASE_BIN)" > "$$kept.tmp/besthub.sha256" && mv "$$kept.tmp" "$$kept"; \
		ls -1dt "$(BUILD_CACHE)"/*/ | tail -n +$$(( $(BUILD_CACHE_KEEP) + 1 )) | xargs -r rm -rf; \
	fi

# The site's static files, compressed once at brotli's highest level beside each file: the
# server sends `X.br` to browsers that take brotli, instead of compressing on every request at
# a fast level (the WASM: 164 KB at level 11, about 200 KB at the fast level). Others get gzip
# made as it is served. The server ignores and removes a `.br` older than its file.
PRECOMPRESS := -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg'

precompress:
	@find target/site -type f \( $(PRECOMPRESS) \) -print0 | while IFS= read -r -d '' f; do \
		brotli --force --best --no-copy-stat --output="$$f.br" "$$f" && chmod 644 "$$f.br"; done

fmt:
	cargo fmt --all -- --check

lint:
	cargo clippy --all-targets --features ssr -- -D warnings
	cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

# Test binaries whose tests drive the whole app (`common::test_app`).
APP_TESTS := binary(http) | binary(accounts) | binary(feedback) | binary(discussion) | binary(hostile) | binary(events) | binary(feeds) | binary(search) | binary(saved) | binary(notifications)

# Tests that run the server as a process (crash safety, the sign-in burst's memory) run the
# release binary, as production would.
unit: nextest build
	@if [ -z "$${BESTHUB_TEST_PG_URL:-}" ]; then echo "note: BESTHUB_TEST_PG_URL is not set; storage tests run on SQLite only"; fi
	# In parallel, one process per test, each ended after two minutes (.config/nextest.toml).
	BESTHUB_SERVER_BIN="$(CARGO_TARGET_DIR)/release/besthub" cargo nextest run --features ssr --no-fail-fast
	# The HTTP-level tests once more with the app on PostgreSQL (contract tests ran both ways).
	@if [ -n "$${BESTHUB_TEST_PG_URL:-}" ]; then \
		BESTHUB_TEST_APP_DB=postgres cargo nextest run --features ssr --no-fail-fast \
			-E '($(APP_TESTS)) and not test(/::(sqlite|postgres)$$/)'; fi

e2e:
	cd end2end && npx playwright test

wasm-target:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# Built without optimisation (--debug): it installs in about 10 minutes instead of 25 on two
# cores, and its own speed hardly matters since rustc, wasm-bindgen and wasm-opt do the work.
cargo-leptos:
	@cargo leptos --version 2>/dev/null | grep -qF "$(CARGO_LEPTOS_VERSION)" || \
		cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked --debug

wasm-bindgen:
	@"$(TOOLS_DIR)/bin/wasm-bindgen" --version 2>/dev/null | grep -qF "$(WASM_BINDGEN_VERSION)" || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --locked --root "$(TOOLS_DIR)"

# The machine image ships cargo-nextest; install it only where it is missing.
nextest:
	@cargo nextest --version >/dev/null 2>&1 || cargo install cargo-nextest --locked

node-deps: end2end/node_modules/.installed

end2end/node_modules/.installed: end2end/package-lock.json
	@cd end2end && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

brotli:
	@command -v brotli >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq brotli >/dev/null; }

chromium:
	@test -x /usr/bin/chromium || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# --- Replicas (issue 11): README.md "Replicas". ---
.PHONY: cluster cluster-tools

# Overridable: REPLICAS (2), CLUSTER_LISTEN (127.0.0.1:8080), CLUSTER_DATABASE_URL
# (postgres://postgres@127.0.0.1:5432/test), CLUSTER_SCHEMA (besthub_cluster); see deploy/cluster.sh.
## cluster: the demo on PostgreSQL as REPLICAS replicas behind nginx on CLUSTER_LISTEN; Ctrl-C stops it.
cluster: setup build cluster-tools
	@deploy/cluster.sh

# Debian's nginx (the load balancer) and psql (creates the cluster's schema).
cluster-tools:
	@{ test -x /usr/sbin/nginx && command -v psql >/dev/null; } || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx postgresql-client >/dev/null; }

# --- Benchmarks (issue 7, 11); README.md "Benchmarks" says what each row measures. ---
BENCH_STATE := /var/tmp/besthub/bench
ISSO_VERSION := 0.14.0

.PHONY: bench bench-tools bench-seed bench-fanout soak profile

## bench: release build, benchmark database, then every row of the table (bench/results/).
bench: setup build bench-tools bench-seed bench-fanout
	@python3 bench/run.py

# PostgreSQL for the crash test and the soak rows (the machine's local server).
SOAK_PG_URL ?= $(or $(BESTHUB_TEST_PG_URL),postgres://postgres@127.0.0.1:5432/test)

## soak: the crash test killing the server 20 times on SQLite and on PostgreSQL, then the
## bench's soak rows (256 connections, 60 s of mixed traffic, on each backend).
soak: setup build bench-tools bench-seed
	BESTHUB_CRASH_ROUNDS=20 BESTHUB_TEST_PG_URL="$(SOAK_PG_URL)" \
		cargo test --features ssr --test crash -- --nocapture --test-threads=1
	@BENCH_PG_URL="$(SOAK_PG_URL)" python3 bench/run.py --only soak

## profile: perf samples of an uncached render of the 50-comment article page, drawn as a
## flame graph (bench/profile.sh; results in /var/tmp/besthub/profile).
profile: setup build bench-tools bench-seed
	@command -v perf >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq linux-perf >/dev/null; }
	@command -v inferno-flamegraph >/dev/null || cargo install inferno --locked --root "$(TOOLS_DIR)"
	bench/profile.sh

# Debian's nginx and wrk, Isso from PyPI in a venv, Lighthouse and playwright-core from npm.
bench-tools: bench/node_modules/.installed
	@{ test -x /usr/sbin/nginx && command -v wrk >/dev/null; } || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx wrk >/dev/null; }
	@"$(BENCH_STATE)/venv/bin/isso" --version 2>/dev/null | grep -qF "$(ISSO_VERSION)" || { \
		python3 -m venv "$(BENCH_STATE)/venv" && \
		"$(BENCH_STATE)/venv/bin/pip" install -q --disable-pip-version-check "isso==$(ISSO_VERSION)"; }

bench/node_modules/.installed: bench/package-lock.json
	@cd bench && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The database generator, built like the server binary (release, ssr) and with the variables
# cargo-leptos sets (leptos reads LEPTOS_OUTPUT_NAME at compile time): without them this build
# and the next `cargo leptos build` would each recompile leptos and the crate.
BENCH_BUILD_ENV := LEPTOS_OUTPUT_NAME=besthub LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
	LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=. LEPTOS_BIN_DIR=. \
	LEPTOS_HASH_FILES=false LEPTOS_JS_MINIFY=true

bench-seed:
	@$(BENCH_BUILD_ENV) cargo build --release --no-default-features --features ssr --example bench_seed

# The live-stream fan-out client (benches/fanout.rs), built the same way.
bench-fanout:
	@$(BENCH_BUILD_ENV) cargo build --release --no-default-features --features ssr --example fanout
