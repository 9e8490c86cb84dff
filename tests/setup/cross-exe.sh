#!/usr/bin/env bash
# Reading executables of every format and architecture dumpscope claims: the service
# fixture program cross-built with Go 1.27 for macOS arm64 (Mach-O), Windows amd64 (PE) and
# Linux arm64 (ELF), each read by `dumpscope exe`. These machines cannot run them to write
# dumps; what is checked is what naming needs: the Go version, symbols (globals), the data
# and bss segments, DWARF types and the type descriptors' base.
#
# Usage: DUMPSCOPE=path/to/dumpscope tests/setup/cross-exe.sh  (run by `make test-capture`)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../fixtures/toolchain.sh
. "$ROOT/tests/fixtures/toolchain.sh"
go_env
go="$(go_for 1.27)"
version="$("$go" env GOVERSION)"
DUMPSCOPE="${DUMPSCOPE:-$ROOT/target/release/dumpscope}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

fail=0
for target in darwin/arm64:Mach-O windows/amd64:PE linux/arm64:ELF; do
	platform="${target%%:*}"
	format="${target##*:}"
	os="${platform%/*}" arch="${platform#*/}"
	exe="$OUT/service-$os-$arch"
	(cd "$ROOT/tests/fixtures/gen/service" && GOOS="$os" GOARCH="$arch" CGO_ENABLED=0 "$go" build -trimpath -o "$exe" .)
	info="$("$DUMPSCOPE" exe "$exe")"
	check() {
		if ! grep -Eq "$1" <<<"$info"; then
			echo "cross-exe: $os/$arch: expected /$1/ in:" >&2
			echo "$info" >&2
			fail=1
		fi
	}
	check "MB, $format $arch\$"
	check "go version +$version\$"
	check "symbols +[1-9][0-9]* globals"
	check "DWARF +[1-9][0-9]{3,} types, [1-9][0-9]* globals, [1-9][0-9]* functions with stack variables"
	check "segments +data 0x[0-9a-f]+ \\+[1-9][0-9]*, bss 0x[0-9a-f]+ \\+[1-9][0-9]*"
	check "type names +from descriptors at 0x"
	echo "cross-exe: $os/$arch ($format) read: ok"
done
exit "$fail"
