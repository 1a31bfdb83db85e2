#!/usr/bin/env bash
# Builds ci/dist/smoke/go/main.go as a module of its own that requires weir's
# Go module, replaced by a release tree (no module proxy, no network), and
# runs it: natively for amd64, cross-linked with aarch64-linux-gnu-gcc and
# run under qemu-aarch64 for arm64. Uses no Rust tool: the install suite runs
# it where none is.
#
#   ci/dist/go-smoke.sh TREE GOARCH VERSION
set -euo pipefail
here="$(dirname "$(readlink -f "$0")")"
tree="$(readlink -f "$1")" arch="$2" version="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

module="$(sed -n 's/^module //p' "$tree/go.mod")"
go_line="$(grep '^go ' "$tree/go.mod")"
cat >"$work/go.mod" <<MOD
module example.com/weir-smoke

$go_line

require $module v$version

replace $module => $tree
MOD
cp "$here/smoke/go/main.go" "$work/"

export CGO_ENABLED=1 GOFLAGS=-mod=mod GOPROXY=off GOWORK=off GOTOOLCHAIN=local GOOS=linux GOARCH="$arch"
run=()
if [[ "$arch" == arm64 ]]; then
  export CC=aarch64-linux-gnu-gcc
  run=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
fi
(cd "$work" && go build -o smoke .)
"${run[@]}" "$work/smoke" "$version"
