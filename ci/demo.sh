#!/usr/bin/env bash
# The main job. Until the Envoy demo lands this runs the core simulation.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p weir-benches --bin simulate
