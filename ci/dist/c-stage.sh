#!/usr/bin/env bash
# Lays out the C library of one target under a prefix, as the tarball and
# `make install` ship it:
#   include/weir.h
#   lib/libweir.a                         stripped of debug info and LLVM bitcode
#   lib/libweir.so.X.Y.Z                  stripped, SONAME libweir.so.<abi>
#   lib/libweir.so.<abi>, lib/libweir.so  links to it
#   lib/pkgconfig/weir.pc                 relocatable: prefix=${pcfiledir}/../..
#   share/doc/weir/README.md
#
#   ci/dist/c-stage.sh PREFIX TARGET BUILT_DIR   (BUILT_DIR holds cargo's libweir.{a,so})
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prefix="$1" target="$2" built="$3"

install -d "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/share/doc/weir"
install -m 644 "$root/ffi/include/weir.h" "$prefix/include/weir.h"
install -m 644 "$root/ffi/README.md" "$prefix/share/doc/weir/README.md"
install -m 644 "$built/libweir.a" "$prefix/lib/libweir.a"
strip_static_lib "$prefix/lib/libweir.a" "$target"

soname="$(readelf -d "$built/libweir.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
[[ "$soname" == libweir.so.* ]] || fail "$built/libweir.so has no SONAME (ffi/build.rs gives it one)"
install -m 755 "$built/libweir.so" "$prefix/lib/libweir.so.$version"
rename_musl_libc "$prefix/lib/libweir.so.$version" "$target"
strip="$(strip_of "$target")"
"$strip" --strip-unneeded "$prefix/lib/libweir.so.$version"
ln -sfn "libweir.so.$version" "$prefix/lib/$soname"
ln -sfn "$soname" "$prefix/lib/libweir.so"

sed -e 's|@PREFIX@|${pcfiledir}/../..|' -e 's|@INCLUDEDIR@|${prefix}/include|' \
  -e 's|@LIBDIR@|${prefix}/lib|' -e "s|@VERSION@|$version|" \
  "$root/ffi/weir.pc.in" >"$prefix/lib/pkgconfig/weir.pc"
