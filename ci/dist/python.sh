#!/usr/bin/env bash
# The Python wheels (abi3: one wheel per platform serves CPython >= 3.9):
# manylinux2014 for gnu targets, musllinux_1_2 for musl ones, built by
# maturin through zig; and the sdist. Each wheel is checked by
# `auditwheel show`, which must find it consistent with its own tag.
#
#   ci/dist/python.sh TARGET...    writes $out/python/*.whl and the sdist
set -euo pipefail
source "$(dirname "$0")/lib.sh"
manifest="$root/bindings/python/Cargo.toml"
mkdir -p "$out/python"
work="$(mktemp -d)"
mkdir "$work/empty"
trap 'rm -rf "$work"' EXIT

for target in "$@"; do
  if [[ "$(libc_of "$target")" == musl ]]; then policy=musllinux_1_2; else policy=manylinux2014; fi
  say "python: $target ($policy)"
  rm -rf "$work/wheel"
  quietly env PATH="$tools:$PATH" CARGO_TARGET_DIR="$target_dir" "$tools/maturin" build --release --strip \
    --zig --target "$target" --compatibility "$policy" -m "$manifest" -o "$work/wheel"
  wheel="$(echo "$work"/wheel/*.whl)"
  [[ -f "$wheel" ]] || fail "maturin wrote no wheel for $target"
  if [[ "$policy" == musllinux_1_2 ]]; then
    # Rename zig's libc.so to Alpine's name inside the wheel; `wheel pack`
    # rewrites RECORD with the new hashes.
    "$tools/wheel" unpack --dest "$work/unpacked" "$wheel" >/dev/null
    for so in "$work"/unpacked/*/weir/*.so; do rename_musl_libc "$so" "$target"; done
    rm "$wheel"
    "$tools/wheel" pack --dest-dir "$work/wheel" "$work"/unpacked/* >/dev/null
    rm -rf "$work/unpacked"
    wheel="$(echo "$work"/wheel/*.whl)"
  fi
  mkdir -p "$work/so"
  "$tools/python" -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); [z.extract(n, sys.argv[2]) for n in z.namelist() if n.endswith(".so")]' "$wheel" "$work/so"
  for so in "$work"/so/weir/*.so; do check_linkage "$so" "$target"; done
  rm -rf "$work/so"

  # auditwheel looks up each needed library on the building machine; a musl
  # wheel's libc is not there, and must not be looked for in glibc's folders.
  tag="${policy/manylinux2014/manylinux_2_17}_$(arch_of "$target")"
  report="$("$tools/auditwheel" show --ldpaths "$work/empty" "$wheel" 2>/dev/null | tr '\n' ' ')"
  grep -q "consistent with the following platform tag: \"$tag\"" <<<"$report" \
    || fail "auditwheel show does not find $(basename "$wheel") consistent with $tag: $report"
  mv "$wheel" "$out/python/"
  check_size "$out/python/$(basename "$wheel")" "$max_wheel"
done

say "python: sdist"
quietly env PATH="$tools:$PATH" "$tools/maturin" sdist -m "$manifest" -o "$out/python"
sdist="$out/python/weir-$version.tar.gz"
[[ -f "$sdist" ]] || fail "maturin wrote no $(basename "$sdist")"
# The sdist must build on its own, as pip builds it where no wheel fits
# (the workspace's target dir keeps that to the crates' own code).
quietly env PATH="$tools:$PATH" CARGO_TARGET_DIR="$target_dir" "$tools/python" -m pip wheel --quiet --no-deps \
  --no-build-isolation --wheel-dir "$work/from-sdist" "$sdist"
ls "$work"/from-sdist/weir-"$version"-*.whl >/dev/null || fail "$(basename "$sdist") built no wheel"
