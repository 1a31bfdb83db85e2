#!/usr/bin/env bash
# The Envoy dynamic module (libweir_envoy.so): its hooks under the fake host
# (cargo test, and under Miri), then, for each Envoy release it supports, a build with that
# release's feature and, in a venv holding that release, the wasm filter's
# real-Envoy tests with the module loaded instead (exact limits at 2 and 4
# workers, 429 answers, a refused configuration, shedding, throttling, p2c, a breaker,
# fallback answers, gutter routing, the no-retry marker)
# and the module's own (keys, costs, shadow mode, deadlines, a contained
# panic, its imported symbols against the release's exports).
# Every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

source ci/tools.sh
# needs: wrk
need_apt wrk

pids="$(mktemp)"
cleanup() {
  while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$pids"
  rm -f "$pids"
}
trap cleanup EXIT

cargo clippy -p weir-policy -p weir-envoy-module --all-targets --no-deps -- -D warnings
cargo test -p weir-policy -p weir-envoy-module
# Undefined behaviour in the hooks, the per-worker table and the kept
# refusal, driven through the fake host.
MIRIFLAGS="-Zmiri-disable-isolation" cargo +nightly miri test -q -p weir-envoy-module --test hooks --test per_worker

target="${CARGO_TARGET_DIR:-$root/target}"
for release in 1.38 1.39 1.40; do
  feature="envoy-${release/./-}"
  venv="$root/.venv-envoy-$release"
  need_venv "$venv" "envoy-$release"
  cargo build --release -p weir-envoy-module --no-default-features --features "$feature"
  cargo test -q -p weir-envoy-module --no-default-features --features "$feature"
  out="$target/envoy-module/$release"
  mkdir -p "$out"
  cp "$target/release/libweir_envoy.so" "$out/"
  echo "==> Envoy $("$venv/bin/envoy" --version | grep -o 'version: [^ ]*' | head -1) with $out/libweir_envoy.so"
  (cd wasm-filter/tests/envoy && WEIR_LOADERS=module WEIR_ENVOY_MODULE_DIR="$out" WEIR_ENVOY_PIDS="$pids" \
    timeout 400 "$venv/bin/pytest" -q -p no:cacheprovider -k module)
  (cd envoy-module/tests/envoy && WEIR_ENVOY_MODULE_DIR="$out" WEIR_ENVOY_PIDS="$pids" \
    timeout 400 "$venv/bin/pytest" -q -p no:cacheprovider)
done
