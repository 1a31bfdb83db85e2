#!/usr/bin/env bash
# weir-core part 2: short fuzz runs of the header parsers (grpc-timeout,
# milliseconds, Retry-After) and of every part-2 config constructor. The
# loom models of part 2 (core/tests/loom_*.rs) run in the core suite's loop.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${WEIR_FUZZ_SECONDS:-15}"
source ci/tools.sh
need_cargo_tool cargo-fuzz
cd fuzz
for target in grpc_timeout retry_after configs breaker_limit; do
  echo "fuzz $target for ${seconds} s"
  # The corpus lives in target/ so runs do not dirty the tree.
  corpus="../target/fuzz-corpus/$target"
  mkdir -p "$corpus"
  cargo +nightly fuzz run -O --target-dir ../target/fuzz "$target" "$corpus" -- \
    -max_total_time="$seconds" -print_final_stats=0 2>&1 | tail -n 3
done
