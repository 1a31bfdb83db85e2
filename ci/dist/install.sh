#!/usr/bin/env bash
# make install: builds the C library for this machine and lays it out under
# PREFIX as the release tarball does (ci/dist/c-stage.sh), weir.pc included.
#
#   ci/dist/install.sh PREFIX
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ $# -eq 1 && -n "$1" ]] || fail "usage: ci/dist/install.sh PREFIX"
host="$(rustc -vV | sed -n 's/^host: //p')"
quietly cargo build --release -p weir-ffi
"$root/ci/dist/c-stage.sh" "$1" "$host" "$target_dir/release"
echo "installed weir $version (C) under $1: include/weir.h, lib/libweir.{a,so}, lib/pkgconfig/weir.pc"
