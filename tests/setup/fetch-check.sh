#!/usr/bin/env bash
# Proves that the install step's crate fetch is enough for every build `make` runs offline
# (trunk runs cargo --offline): starting from an empty crate cache, as a new machine has, it
# runs install-tools.sh's fetch, then asks cargo, offline, for the crates of each build:
# the CLI and tests, the web app's two wasm binaries and its wasm tests, and the fuzz-free
# native web tests. If a build needed a crate the fetch left out, cargo fails here by name.
set -euo pipefail
cd "$(dirname "$0")/../.."
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
# Only the cache is new: registry settings (mirrors, tokens) stay the user's.
for f in config.toml config credentials.toml; do
  [ -f "${CARGO_HOME:-$HOME/.cargo}/$f" ] && cp "${CARGO_HOME:-$HOME/.cargo}/$f" "$home/"
done
export CARGO_HOME="$home"
# The very command install-tools.sh runs, read from it so the two cannot drift apart.
fetch=$(grep -E '^cargo fetch' .ci/install-tools.sh)
[ -n "$fetch" ] || { echo "fetch-check: install-tools.sh has no cargo fetch line" >&2; exit 1; }
eval "$fetch" 2>&1 | tail -n 1
check() {
  if ! out=$(cargo tree --offline --locked -e normal,build,dev "$@" 2>&1 >/dev/null); then
    echo "fetch-check: after '$fetch', this build still needs crates: cargo tree $*" >&2
    echo "$out" >&2
    exit 1
  fi
}
check                                                      # the CLI, native tests
check --target wasm32-unknown-unknown --no-default-features --features web   # trunk, web_wasm
check --no-default-features --features web                 # native web tests, wasm_memory
check --target all --all-features
echo "fetch-check: every build's crates come from the install step's fetch"
