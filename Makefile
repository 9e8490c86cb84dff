# dumpscope: `make run` serves the web app, `make test` runs every test.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)
BENCH_DIR ?= tests/out/bench
BENCH_N ?= 7500000
# Debian's chromium-driver (installed by .ci/install-tools.sh); wasm-bindgen-test-runner uses it.
CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: bench-large serve-large wasm-memory extremes fuzz run dist test test-native test-web test-capture tools tools-build tools-native fixtures bench

## The app: install what is missing, build the release site, serve it on 127.0.0.1:8080.
run: dist
	@echo "dumpscope: serving dist/ on http://127.0.0.1:8080"
	python3 -m http.server 8080 --bind 127.0.0.1 --directory dist

dist: tools-build
	trunk build index.html --release --public-url ./
	touch dist/.nojekyll

## Every test: formatting, lints (native and wasm), native tests, wasm check, browser tests.
test: test-native test-web test-capture

test-native: tools-native
	bash tests/setup/fetch-check.sh
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo test --release
	cargo check --lib --no-default-features --target wasm32-unknown-unknown

## Web: lints, the web code's native tests, the app end to end in Chromium (Playwright), then
## the wasm code itself in headless Chromium (wasm-bindgen-test; runner in .cargo/config.toml).
test-web: tools dist
	cargo clippy --no-default-features --features web --target wasm32-unknown-unknown --bins --test web_wasm -- -D warnings
	cargo test --release --no-default-features --features web --lib -- engine:: web::
	cargo test --release --no-default-features --features web --test robustness session
	cargo clippy --no-default-features --features web --example wasm_memory -- -D warnings
	node tests/browser/e2e.mjs
	CHROMEDRIVER=$(CHROMEDRIVER) cargo test --no-default-features --features web --target wasm32-unknown-unknown --test web_wasm

## The Go capture package (capture/): go test with Go 1.19 and Go 1.27.3 (installed when missing);
## its tests check every dump they take with this CLI. Then executables of every format and
## architecture (Mach-O arm64, PE amd64, ELF arm64, cross-built) read by `dumpscope exe`.
test-capture:
	cargo build --release --bin dumpscope
	DUMPSCOPE=$(CURDIR)/target/release/dumpscope bash capture/test.sh
	DUMPSCOPE=$(CURDIR)/target/release/dumpscope bash tests/setup/cross-exe.sh

tools-native:
	bash .ci/install-tools.sh native

tools-build:
	bash .ci/install-tools.sh build

tools:
	bash .ci/install-tools.sh all

## Regenerate the committed Go fixtures (needs Go; installs the toolchains it lacks).
fixtures:
	bash tests/fixtures/regen.sh

## Decode/analysis benchmark on a generated ~10 M-object dump (not committed).
bench: tools-native
	mkdir -p $(BENCH_DIR)
	test -f $(BENCH_DIR)/bench-$(BENCH_N).dump || bash tests/fixtures/bench.sh $(BENCH_N) $(BENCH_DIR)/bench-$(BENCH_N).dump
	cargo build --release --bin dumpscope
	./target/release/dumpscope bench $(BENCH_DIR)/bench-$(BENCH_N).dump
	# Typing from the executable that wrote it (bench.sh keeps it beside the dump).
	test ! -f $(BENCH_DIR)/bench-$(BENCH_N).dump.exe || ./target/release/dumpscope --exe $(BENCH_DIR)/bench-$(BENCH_N).dump.exe bench $(BENCH_DIR)/bench-$(BENCH_N).dump

## Scale: the go/parser AST heap (Go's source tree, ~14.7 M objects) written twice, as
## services write it and with every object sampled (MemProfileRate = 1, 1.6 GB), the
## 10 M-object synthetic dump and a 1.8 GB synthetic one (~17 M objects), natively and in
## headless Chromium, as one table (see docs/benchmarks.md).
BENCH_BIG_N ?= 12900000
bench-large: dist
	mkdir -p $(BENCH_DIR)
	test -f $(BENCH_DIR)/astheap.dump || bash tests/fixtures/astheap.sh $(BENCH_DIR)/astheap.dump
	test -f $(BENCH_DIR)/astheap-sampled.dump || SAMPLED=1 bash tests/fixtures/astheap.sh $(BENCH_DIR)/astheap-sampled.dump
	test -f $(BENCH_DIR)/bench-$(BENCH_N).dump || bash tests/fixtures/bench.sh $(BENCH_N) $(BENCH_DIR)/bench-$(BENCH_N).dump
	test -f $(BENCH_DIR)/bench-$(BENCH_BIG_N).dump || bash tests/fixtures/bench.sh $(BENCH_BIG_N) $(BENCH_DIR)/bench-$(BENCH_BIG_N).dump
	cargo build --release --bin dumpscope
	node tests/browser/bench-large.mjs $(BENCH_DIR)/astheap.dump $(BENCH_DIR)/astheap-sampled.dump $(BENCH_DIR)/bench-$(BENCH_N).dump $(BENCH_DIR)/bench-$(BENCH_BIG_N).dump

## The app against `dumpscope serve` on the 10 M-object synthetic dump, in headless Chromium:
## overview, classes, dominator tree, retainers and inspector show the CLI's numbers, and
## every request stays on 127.0.0.1 (tests/browser/serve-large.mjs; not part of `make test`).
## Again with --exe when bench.sh kept the executable beside the dump.
serve-large: dist
	mkdir -p $(BENCH_DIR)
	test -f $(BENCH_DIR)/bench-$(BENCH_N).dump || bash tests/fixtures/bench.sh $(BENCH_N) $(BENCH_DIR)/bench-$(BENCH_N).dump
	cargo build --release --bin dumpscope
	node tests/browser/serve-large.mjs $(BENCH_DIR)/bench-$(BENCH_N).dump \
	  $$(test ! -f $(BENCH_DIR)/bench-$(BENCH_N).dump.exe || echo --exe $(BENCH_DIR)/bench-$(BENCH_N).dump.exe $(BENCH_DIR)/bench-$(BENCH_N).dump)

## The web worker's wasm linear memory for each benchmark dump, simulated natively in
## seconds (examples/wasm_memory.rs: the worker's pipeline on wasm's allocator).
wasm-memory:
	cargo build --release --no-default-features --features web --example wasm_memory
	for d in $(BENCH_DIR)/*.dump; do echo "== $$d"; ./target/release/examples/wasm_memory $$d || exit 1; done

## Graph extremes for tests/robustness.rs and the browser test (also written on demand by them).
EXTREMES := deeplist manygoroutines lostcycle widefan
extremes:
	mkdir -p tests/out/extremes
	for p in $(EXTREMES); do test -f tests/out/extremes/$$p-go1.27.dump || bash tests/fixtures/regen.sh --programs $$p --versions 1.27 --out tests/out/extremes || exit 1; done

## Fuzzing (cargo-fuzz on nightly): seed corpora, then each target for FUZZ_SECONDS, or for
## FUZZ_RUNS executions when that is set (`make fuzz FUZZ_RUNS=10000000`).
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_LIMIT = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))
FUZZ_TARGETS ?= decode chunked analysis graph session
## FUZZ_BUILD=--no-trace-compares: no comparison tracing, 3-4x the executions per second on
## graph and session (see fuzz/README.md). graph reads a recipe, not a file: 16 KiB holds
## 190 objects with room for big ones.
FUZZ_BUILD ?=
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cd fuzz && cargo run --release --example seeds -- seeds
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  case $$t in graph) len=16384;; *) len=65536;; esac; \
	  mkdir -p corpus/$$t artifacts/$$t && cargo +nightly fuzz run -s none $(FUZZ_BUILD) $$t corpus/$$t seeds/$$t -- \
	    $(FUZZ_LIMIT) -max_len=$$len -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 || exit 1; done
