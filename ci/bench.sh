#!/usr/bin/env bash
# Every benchmark of the project, one line per case (`<case> ns_per_op=<f>`).
set -euo pipefail
cd "$(dirname "$0")/.."
export WEIR_BENCH_LINES=1
cargo bench -p weir-benches
