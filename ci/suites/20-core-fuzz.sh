#!/usr/bin/env bash
# weir-core under cargo-fuzz: short runs of the header parsers (grpc-timeout,
# milliseconds, Retry-After) and of the config constructors (backoff, retry
# budget, deadline, picker and singleflight in configs; breaker and adaptive
# limit in breaker_limit; the quantile, hot-key and hedge kernels in
# tail_latency). Before them, the hot-key recall bar in a release build. The
# loom models (core/tests/loom_*.rs) run in the core suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${WEIR_FUZZ_SECONDS:-15}"
# The hot-key recall bar at full size (10^7 Zipf requests): a debug build of
# `cargo test` runs the same stream cut to 10^6.
cargo test -p weir-core --release --test hot_keys_recall
source ci/tools.sh
need_cargo_tool cargo-fuzz
cd fuzz
for target in grpc_timeout retry_after configs breaker_limit tail_latency; do
  echo "fuzz $target for ${seconds} s"
  # The corpus lives in target/ so runs do not dirty the tree.
  corpus="../target/fuzz-corpus/$target"
  mkdir -p "$corpus"
  log="../target/fuzz-$target.log"
  # The whole log when a target fails to build or finds a crash; its last
  # lines when it ran clean.
  if ! cargo +nightly fuzz run -O --target-dir ../target/fuzz "$target" "$corpus" -- \
    -max_total_time="$seconds" -print_final_stats=0 >"$log" 2>&1; then
    cat "$log"
    exit 1
  fi
  tail -n 3 "$log"
done
