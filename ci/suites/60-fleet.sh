#!/usr/bin/env bash
# weir-fleet: lints, then its tests against a real redis-server on a free
# loopback port. Tests that kill or stall Redis start private servers of their
# own; the rest share this one through WEIR_REDIS_URL.
set -euo pipefail
cd "$(dirname "$0")/../.."

source ci/tools.sh
need_apt redis-server

cargo clippy -p weir-fleet --all-targets -- -D warnings

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then break; fi
  sleep 0.05
done
redis-cli -p "$port" ping >/dev/null

# The timing tests serialise themselves; the bench runs in its quick mode.
WEIR_REDIS_URL="redis://127.0.0.1:$port" cargo test -p weir-fleet --all-targets
