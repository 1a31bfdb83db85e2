#!/usr/bin/env bash
# The pieces of `make demo` without Envoy (make demo runs the three cases
# through Envoy): the capacity-limited upstream and the open-loop load
# generator against each other for a few seconds, plus the demo's unit tests
# (the table and the per-phase summary over any number of cases, the bars)
# and lints.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo fmt -p weir-demo -- --check
cargo clippy -p weir-demo --all-targets -- -D warnings
timeout 120 cargo test -p weir-demo
