#!/usr/bin/env bash
# Install tests where no Rust toolchain is. Builds the x86_64 gnu and musl
# release artifacts (ci/dist.sh: the wheels, the npm packages, the Go module
# tree, the C tarballs; make dist builds every platform), installs the C
# library with `make install`, and builds the npm main package from the
# Rust sources it carries (the fallback where no prebuilt addon fits); then,
# with cargo, rustc and rustup out of reach (ci/dist/without-rust.sh), installs
# each artifact as a user would and runs its smoke program
# (ci/dist/install-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dist="$work/dist"
version="$(ci/dist/version.sh)"

ci/dist.sh --targets x86_64-unknown-linux-gnu,x86_64-unknown-linux-musl --parts python,node,go,c --out "$dist"

echo "--> install: make install PREFIX=$work/prefix"
make -s install PREFIX="$work/prefix" >/dev/null

echo "--> install: npm install of the main package alone builds the addon from its rust/ with cargo"
mkdir "$work/node-source" && cd "$work/node-source"
npm init -y >/dev/null
# The workspace's target dir: the dependencies the node suite built are
# reused, and only the package's copies of weir's crates compile.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" \
  npm install --offline --no-audit --no-fund --loglevel=error --foreground-scripts "$dist/node/weir-$version.tgz" >"$work/source.log" 2>&1 \
  || { cat "$work/source.log" >&2; exit 1; }
cp "$root/ci/dist/smoke/smoke.js" .
node smoke.js "$version" node_modules/weir/weir.node
cd "$root"

python="$(python3 -c 'import sys; print(sys.executable)')"
ci/dist/without-rust.sh "$work/home" ci/dist/install-tests.sh "$python" "$dist" "$work/prefix" "$version"
