#!/usr/bin/env bash
# Builds weir into its own venv next to the libraries it is compared with,
# and runs the comparison. Not part of the tests: `make bench` runs it.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root="$PWD"
export CARGO_TARGET_DIR="$root/target"
venv="$root/.venv-python-bench"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  limits pyrate-limiter aiolimiter tenacity
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
cd "$root/bindings/python/benches"
"$venv/bin/python" bench.py
# The adapters against slowapi and flask-limiter, with the pinned frameworks.
source "$root/ci/tools.sh"
need_venv "$venv" python-adapters
"$venv/bin/python" adapters.py
