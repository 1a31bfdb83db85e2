#!/usr/bin/env bash
# weir-core and weir-host: format, lints, unit + vector + property tests,
# the reference models against their vectors, loom models, the no-alloc
# proof, and a compile of the benches. weir-host's unsafe code (the clock,
# the mapped file of shared limiters) also runs under AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo fmt --all --check
cargo clippy -p weir-core -p weir-host -p weir-benches --all-targets -- -D warnings
cargo test -p weir-core -p weir-host
# The vectors written by the Python reference models must still be what the
# models write: the models are the second opinion on core's arithmetic.
python3 core/tests/vectors/reference/check.py
RUSTFLAGS="-Zsanitizer=address" ASAN_OPTIONS=detect_leaks=1 \
  cargo +nightly test -p weir-host --target x86_64-unknown-linux-gnu --target-dir target/asan
# loom explores the interleavings of the atomic cells; it needs its own cfg,
# hence its own target dir so the main build is not invalidated. Three
# preemptions per execution is loom's recommended bound: bugs in practice
# need one or two, and the full space of these models takes minutes.
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
models=()
for model in core/tests/loom_*.rs; do models+=(--test "$(basename "$model" .rs)"); done
RUSTFLAGS="--cfg loom" cargo test -p weir-core --release --target-dir target/loom "${models[@]}"
# A staticlib with no allocator for a target that has one: rustc refuses to
# build it if anything in core's graph links `alloc`.
(cd ci/no-alloc && RUSTFLAGS="--cfg portable_atomic_unsafe_assume_single_core" \
  cargo build --release --target thumbv7em-none-eabihf --target-dir ../../target/no-alloc)
