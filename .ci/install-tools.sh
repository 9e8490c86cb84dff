#!/usr/bin/env bash
# Installs what `make` needs and is missing, nothing more. `native`: the Rust side only;
# `all`: also the web toolchain (trunk, wasm-bindgen-cli, wasm-opt, Chromium, Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen version pinned in Cargo.toml / Cargo.lock.
WBG_VERSION=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p; s/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml | head -n1)
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
[ "$what" = native ] && exit 0

if ! command -v chromium >/dev/null; then
  apt-get update -qq
  for i in 1 2 3; do DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium && break; sleep 1; done
fi
trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION" \
  || cargo install trunk --version "$TRUNK_VERSION" --locked
if [ -n "$WBG_VERSION" ]; then
  wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WBG_VERSION" \
    || cargo install wasm-bindgen-cli --version "$WBG_VERSION"
fi
if [ -f package-lock.json ]; then
  [ -x node_modules/.bin/wasm-opt ] && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
fi
