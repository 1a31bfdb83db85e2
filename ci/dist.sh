#!/usr/bin/env bash
# make dist: every release artifact, at the one version of the workspace
# (ci/dist/version.sh), into dist/ (or --out):
#   python/  abi3 wheels (manylinux2014, musllinux_1_2; x86_64, aarch64) + sdist
#   node/    weir-<v>.tgz + weir-linux-{x64-gnu,x64-musl,arm64-gnu}-<v>.tgz
#   go/      the Go module tree to tag bindings/go/v<v>, with lib/linux_{amd64,arm64}/libweir.a
#   c/       weir-<v>-<target>.tar.gz (weir.h, libweir.a, libweir.so, weir.pc)
#   envoy/   weir_filter.wasm, its sha256, oci/ (an OCI image layout for Istio)
#   SHA256SUMS
# Each part checks what it wrote (sizes against their bars, linkage, tags,
# a smoke run where the machine can run it) and fails the whole on a miss.
#
#   ci/dist.sh [--targets T1,T2] [--parts python,node,go,c,envoy] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="$root/dist"
targets="" parts="python,node,go,c,envoy"
usage="usage: ci/dist.sh [--targets T1,T2] [--parts python,node,go,c,envoy] [--out DIR]"
while [[ $# -ge 2 ]]; do
  if [[ "$1" == --targets ]]; then
    targets="$2"
  elif [[ "$1" == --parts ]]; then
    parts="$2"
  elif [[ "$1" == --out ]]; then
    mkdir -p "$2"
    out="$(readlink -f "$2")"
  else
    break
  fi
  shift 2
done
[[ $# -eq 0 ]] || { echo "$usage" >&2; exit 2; }
export out
source ci/dist/lib.sh
[[ -n "$targets" ]] || targets="$(IFS=,; echo "${WEIR_DIST_TARGETS[*]}")"
IFS=, read -ra target_list <<<"$targets"
IFS=, read -ra part_list <<<"$parts"
for target in "${target_list[@]}"; do
  [[ " ${WEIR_DIST_TARGETS[*]} " == *" $target "* ]] || fail "no such target: $target (targets: ${WEIR_DIST_TARGETS[*]})"
done

start=$SECONDS
ci/dist/version.sh --check
cross=()
for target in "${target_list[@]}"; do
  [[ "$target" == "$(rustc -vV | sed -n 's/^host: //p')" ]] || cross+=("$target")
done
dist_tools "${cross[@]}"
rm -rf "$out"
mkdir -p "$out"
say "weir $version for ${target_list[*]} into $out"

for part in "${part_list[@]}"; do
  part_start=$SECONDS
  [[ -x "ci/dist/$part.sh" && " python node go c envoy " == *" $part "* ]] \
    || fail "no such part: $part (parts: python,node,go,c,envoy)"
  "ci/dist/$part.sh" "${target_list[@]}"
  say "$part done in $((SECONDS - part_start)) s"
done

(cd "$out" && find . -path ./go -prune -o -path ./envoy/oci -prune -o -type f -print | sed 's|^\./||' | sort \
  | xargs -r sha256sum >SHA256SUMS)
say "weir $version: $(wc -l <"$out/SHA256SUMS") artifacts checked in $((SECONDS - start)) s"
