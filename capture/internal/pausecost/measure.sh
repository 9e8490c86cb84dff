#!/usr/bin/env bash
# Builds pausecost with Go 1.19 and Go 1.27.3 (tests/fixtures/toolchain.sh)
# and runs it on a ~100 MiB and a ~1 GiB heap, at the default MemProfileRate
# and at 1, RUNS times each. Dumps go to OUT_DIR (default /tmp) and are removed.
#
# Usage: capture/internal/pausecost/measure.sh [RUNS] [OUT_DIR]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../../tests/fixtures/toolchain.sh
. "$HERE/../../../tests/fixtures/toolchain.sh"
RUNS="${1:-3}"
OUT="${2:-/tmp}"
go_env
BIN="$(mktemp -d)"
trap 'rm -rf "$BIN"' EXIT
for v in 1.19 1.27; do
	(cd "$HERE" && "$(go_for "$v")" build -trimpath -o "$BIN/pausecost-$v" .)
done
echo "$(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg), dumps in $OUT ($(df -h --output=fstype "$OUT" | tail -1))"
for mb in 100 1024; do
	for rate in -1 1; do
		for v in 1.19 1.27; do
			for _ in $(seq "$RUNS"); do
				GOMAXPROCS=2 "$BIN/pausecost-$v" -heap-mb "$mb" -rate "$rate" -cpu -out "$OUT/pausecost-$$.dump"
			done
		done
	done
done
