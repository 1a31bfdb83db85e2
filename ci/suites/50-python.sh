#!/usr/bin/env bash
# The Python package: lints of its Rust half, a clean `pip install` of
# bindings/python into a fresh venv (build isolation brings maturin), the
# pytest suite against the installed package, and mypy --strict on the examples.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
# maturin's cargo build reuses the workspace's target dir.
export CARGO_TARGET_DIR="$root/target"
# The FleetLimiter tests start a private redis-server on a loopback port.
# needs: redis-server
source ci/tools.sh
need_apt redis-server
cargo clippy -p weir-python -- -D warnings
venv="$root/.venv-python"
rm -rf "$venv"
need_venv "$venv" python-tests ./bindings/python
# FastAPI/uvicorn/httpx, Flask and Django for the adapters' tests (weir.asgi, weir.wsgi, weir.django).
need_venv "$venv" python-adapters
# Run from the tests folder so `import weir` finds the installed package,
# not the source tree.
cd bindings/python/tests
"$venv/bin/python" -m pytest -q -p no:cacheprovider .
# The runnable examples under examples/python, each started on loopback and asked once.
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/examples/python"
cd ..
"$venv/bin/python" -m mypy --strict --no-incremental examples python/weir
