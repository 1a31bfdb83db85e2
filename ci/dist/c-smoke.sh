#!/usr/bin/env bash
# Builds ci/dist/smoke/smoke.c against an unpacked C release (or a `make
# install` prefix) with `pkg-config --cflags --libs weir`, once linked to
# libweir.a and once to libweir.so (rpath to the release's lib/), and runs
# both (the musl ones with Debian's musl loader, the aarch64 ones under
# qemu-aarch64). Uses no Rust tool: the install suite runs it where none is.
#
#   ci/dist/c-smoke.sh PREFIX TARGET VERSION
set -euo pipefail
here="$(dirname "$(readlink -f "$0")")"
smoke="$here/smoke/smoke.c"
prefix="$(readlink -f "$1")" target="$2" version="$3"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# Only the release's own weir.pc, never one installed on the machine.
export PKG_CONFIG_LIBDIR=""
[[ "$(pkg-config --modversion weir)" == "$version" ]] || { echo "c smoke: weir.pc says $(pkg-config --modversion weir), want $version" >&2; exit 1; }

# The compiler that links the program to libweir.so, and the one that links
# it to libweir.a. musl programs link libweir.a fully statically, as Alpine
# users do; they need a musl-built unwinder, which Debian's musl-gcc lacks
# (its libgcc_eh is glibc's) and zig carries (from make dist's venv), as it
# carries musl for aarch64, where Debian has no musl compiler at all.
zig="$here/../../.venv-dist/bin/python-zig"
run=()
if [[ "$target" == x86_64-unknown-linux-gnu ]]; then
  shared_cc=(gcc) static_cc=(gcc)
elif [[ "$target" == x86_64-unknown-linux-musl ]]; then
  shared_cc=(musl-gcc) static_cc=("$zig" cc -target x86_64-linux-musl -static -lunwind)
elif [[ "$target" == aarch64-unknown-linux-gnu ]]; then
  shared_cc=(aarch64-linux-gnu-gcc) static_cc=(aarch64-linux-gnu-gcc) run=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
elif [[ "$target" == aarch64-unknown-linux-musl ]]; then
  shared_cc=() static_cc=("$zig" cc -target aarch64-linux-musl -static -lunwind) run=(qemu-aarch64)
else
  echo "c smoke: no compiler for $target" >&2
  exit 1
fi
libdir="$(pkg-config --variable=libdir weir)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cflags=(-std=c11 -Wall -Wextra -Werror -O2)

# shellcheck disable=SC2046 # pkg-config's words are flags
"${static_cc[@]}" "${cflags[@]}" $(pkg-config --cflags weir) "$smoke" -o "$work/smoke-static" \
  "$libdir/libweir.a" $(pkg-config --static --libs weir | sed 's/-lweir\b//')
"${run[@]}" "$work/smoke-static" "$version" "libweir.a"
# A dynamic aarch64 musl program would need Alpine's loader at /lib.
[[ ${#shared_cc[@]} -gt 0 ]] || exit 0

links=("-Wl,-rpath,$libdir")
if [[ "$target" == *-musl ]]; then
  # libweir.so names libc by Alpine's name; Debian's musl has it as libc.so.
  ln -s /usr/lib/x86_64-linux-musl/libc.so "$work/libc.musl-x86_64.so.1"
  links+=("-Wl,-rpath-link,$work")
fi
# shellcheck disable=SC2046
"${shared_cc[@]}" "${cflags[@]}" $(pkg-config --cflags weir) "$smoke" -o "$work/smoke-shared" $(pkg-config --libs weir) "${links[@]}"
soname="$(readelf -d "$libdir/libweir.so" | sed -n 's/.*soname: \[\(.*\)\]/\1/p')"
readelf -d "$work/smoke-shared" | grep -q "NEEDED.*\[$soname\]" \
  || { echo "c smoke: the program does not record libweir's SONAME $soname" >&2; exit 1; }
"${run[@]}" "$work/smoke-shared" "$version" "$soname"
