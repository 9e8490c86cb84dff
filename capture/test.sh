#!/usr/bin/env bash
# Runs the capture package's tests (go test ./... in capture/) with Go 1.19
# and Go 1.27.3, installing them with tests/fixtures/toolchain.sh when missing.
# The tests check their dumps with the dumpscope CLI named by $DUMPSCOPE
# (`make test-capture` builds it and sets it).
#
# Usage: DUMPSCOPE=/abs/path/to/dumpscope capture/test.sh [--versions "1.19 1.27"]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../tests/fixtures/toolchain.sh
. "$HERE/../tests/fixtures/toolchain.sh"

VERSIONS="1.19 1.27"
while [ $# -gt 0 ]; do
	case "$1" in
	--versions) VERSIONS="$2"; shift 2 ;;
	--versions=*) VERSIONS="${1#*=}"; shift ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done

go_env
failed=()
for v in $VERSIONS; do
	go="$(go_for "$v")"
	echo "capture: go test ./... with $("$go" version)"
	# -count=1: the result depends on the dumpscope binary, which go test's
	# cache does not track.
	if ! (cd "$HERE" && "$go" test -count=1 ./...); then
		failed+=("$v")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "capture: tests failed with Go ${failed[*]}" >&2
	exit 1
fi
