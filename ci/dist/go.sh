#!/usr/bin/env bash
# The Go module as it is tagged (bindings/go/vX.Y.Z): the package's sources
# (no tests, no benchmarks, not the call-file generator), weir.h in include/, and one stripped libweir.a
# per platform in lib/<os>_<arch>/, which link.go's `#cgo linux,amd64` and
# `#cgo linux,arm64` lines put first on the linker's path. go.mod requires
# nothing. Checks: a consumer module builds against the tree with `replace`
# and no module proxy, and runs the smoke program; the arm64 archive is
# linked with aarch64-linux-gnu-gcc and the program run under qemu-aarch64.
#
#   ci/dist/go.sh TARGET...    writes $out/go/ (gnu targets only)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
tree="$out/go"
[[ " $* " == *aarch64-unknown-linux-gnu* ]] && need_apt gcc-aarch64-linux-gnu qemu-user
src="$root/bindings/go"

grep -q '^require' "$src/go.mod" && fail "bindings/go/go.mod has requirements; the released module must have none"
rm -rf "$tree"
mkdir -p "$tree/include"
# The call-file generator and its go:generate line stay out: they read
# ffi/include/weir.h from the repository, which the module does not carry.
(cd "$src" && find . -path ./bench -prune -o -path ./internal/gencalls -prune -o -path ./generate.go -prune \
  -o -type f ! -name '*_test.go' ! -name '*.sh' -print) \
  | while read -r file; do install -D -m 644 "$src/$file" "$tree/$file"; done
cp "$root/ffi/include/weir.h" "$tree/include/"

archs=()
for target in "$@"; do
  [[ "$(libc_of "$target")" == gnu ]] || continue
  say "go: libweir.a for linux/$(go_arch_of "$target")"
  lib="$tree/lib/linux_$(go_arch_of "$target")"
  mkdir -p "$lib"
  cp "$(zig_build weir-ffi "$target")/libweir.a" "$lib/"
  strip_static_lib "$lib/libweir.a" "$target"
  check_size "$lib/libweir.a" "$max_static_lib"
  archs+=("$(go_arch_of "$target")")
done

for arch in "${archs[@]}"; do
  say "go: a consumer module on linux/$arch"
  "$root/ci/dist/go-smoke.sh" "$tree" "$arch" "$version"
done
