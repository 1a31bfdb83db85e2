#!/usr/bin/env bash
# The Node package: lints of its Rust half, the scratch layout JS and Rust
# share (lib/layout.js current), `npm install` of bindings/node
# into a fresh project (the install script builds the addon with cargo), the
# node --test suite run there against the installed package (conformance
# vectors and a private redis-server for FleetLimiter included), and tsc
# --strict over a usage file of the declarations.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
export CARGO_TARGET_DIR="$root/target"
# The FleetLimiter tests start a private redis-server on a loopback port.
# needs: redis-server
source ci/tools.sh
need_apt redis-server
cargo clippy -p weir-node -- -D warnings
# lib/layout.js is emitted from src/layout.rs (which slot of the scratch
# buffer holds what, per call); the same tests check that the JS wrappers
# name only declared slots and number none.
if ! cargo test -q -p weir-node --lib layout; then
  echo "bindings/node/lib/layout.js is stale or the wrappers name slots it does not declare:" \
    "regenerate it with 'WEIR_BLESS=1 cargo test -p weir-node --lib layout' and commit it" >&2
  exit 1
fi
project="$(mktemp -d)"
trap 'rm -rf "$project"' EXIT
cd "$project"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$root/bindings/node"
cp -r "$root/bindings/node/test" test
# Express, Fastify and Koa for the adapters' tests (weir/express, weir/fastify, weir/koa), prom-client and the
# OpenTelemetry SDK for the metrics bridges' tests (weir/prometheus, weir/otel).
need_npm node-adapters
# WEIR_ROOT: examples/node (started by test/examples.test.js) and the filter's metric table.
WEIR_ROOT="$root" WEIR_VECTORS="$root/core/tests/vectors" node --test --test-concurrency=2 test/
need_npm node-types
npx tsc --strict --noEmit --target es2022 --module nodenext --moduleResolution nodenext --types node test/types/usage.ts
npx tsc --strict --noEmit --target es2022 --module nodenext --moduleResolution nodenext --types node test/types/adapters.ts
npx tsc --strict --noEmit --target es2022 --module nodenext --moduleResolution nodenext --types node test/types/prometheus.ts
npx tsc --strict --noEmit --target es2022 --module nodenext --moduleResolution nodenext --types node test/types/otel.ts
echo "tsc: the declarations type-check"
