#!/usr/bin/env bash
# The C library of each target as weir-<version>-<target>.tar.gz (layout:
# ci/dist/c-stage.sh), checked by building the smoke program from the
# unpacked tarball through pkg-config, linked dynamically and statically,
# and running it: natively, with Debian's musl-gcc and musl loader, or
# cross-compiled (aarch64-linux-gnu-gcc; zig for aarch64 musl) under
# qemu-aarch64.
#
#   ci/dist/c.sh TARGET...    writes $out/c/weir-<version>-<target>.tar.gz
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ " $* " == *-musl* ]] && need_apt musl-tools
[[ " $* " == *aarch64-* ]] && need_apt gcc-aarch64-linux-gnu qemu-user
mkdir -p "$out/c"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for target in "$@"; do
  say "c: $target"
  name="weir-$version-$target"
  "$root/ci/dist/c-stage.sh" "$work/$name" "$target" "$(zig_build weir-ffi "$target")"
  check_linkage "$work/$name/lib/libweir.so.$version" "$target"
  check_size "$work/$name/lib/libweir.a" "$max_static_lib"
  reproducible_tar "$out/c/$name.tar.gz" "$work" "$name"
  rm -rf "$work/$name"
  tar -xzf "$out/c/$name.tar.gz" -C "$work"
  PATH="$tools:$PATH" "$root/ci/dist/c-smoke.sh" "$work/$name" "$target" "$version"
done
