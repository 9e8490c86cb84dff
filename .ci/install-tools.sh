#!/usr/bin/env bash
# Installs what `make` needs and is missing, nothing more. `native`: the Rust side only;
# `build`: also what builds the web app, no root needed (trunk, wasm-bindgen-cli with its
# wasm-bindgen-test-runner, the npm packages: wasm-opt, playwright-core); `all` (default):
# also Chromium and chromedriver from apt, for the browser tests. Every failure exits
# non-zero with the failing command's own message.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
TRUNK_VERSION=0.21.14
# wasm-bindgen-cli must be the wasm-bindgen version in Cargo.lock (trunk checks; Cargo.toml pins it).
WBG_VERSION=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/^version = "|"$/, ""); print; exit }' Cargo.lock)
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$PWD/node_modules/.bin:$CARGO_BIN:$PATH"

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
# Every crate of Cargo.lock, for every target and feature: trunk runs cargo --offline
# (Trunk.toml), and the native steps alone never download the web feature's crates.
# A no-op when the crate cache is warm; tests/setup/fetch-check.sh proves it suffices.
cargo fetch --locked
[ "$what" = native ] && exit 0

trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION" \
  || cargo install trunk --version "$TRUNK_VERSION" --locked
if [ -z "$WBG_VERSION" ]; then
  echo "install-tools: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WBG_VERSION" \
  || cargo install wasm-bindgen-cli --version "$WBG_VERSION"
if [ -f package-lock.json ]; then
  [ -x node_modules/.bin/wasm-opt ] && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
fi
[ "$what" = build ] && exit 0

# chromedriver: wasm-bindgen-test-runner drives Chromium through it (`make test-web`).
pkgs=()
command -v chromium >/dev/null || pkgs+=(chromium)
command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
if [ ${#pkgs[@]} -gt 0 ]; then
  apt-get update -qq
  # Retried: the image's docker-clean hook can drop .debs between dpkg passes. The third
  # failure is the script's: its message is apt-get's own, above.
  for i in 1 2 3; do
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"; then break; fi
    if [ "$i" = 3 ]; then
      echo "install-tools: apt-get install ${pkgs[*]} failed 3 times" >&2
      exit 1
    fi
    sleep 1
  done
fi
for tool in chromium chromedriver; do
  command -v "$tool" >/dev/null || { echo "install-tools: $tool is still missing" >&2; exit 1; }
done
