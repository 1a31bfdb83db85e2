#!/usr/bin/env bash
# Every test of every crate and binding. Each suite lives in ci/suites/NN-name.sh
# and runs in order; the workspace is built once in target/ and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/setup.sh
python3 ci/check-tools.py
only="${WEIR_SUITES:-}"
for suite in ci/suites/*.sh; do
  name="$(basename "$suite" .sh)"
  if [[ -n "$only" && ",$only," != *",${name#*-},"* ]]; then continue; fi
  echo "==> suite ${name#*-}"
  start=$SECONDS
  bash "$suite"
  echo "<== suite ${name#*-} passed in $((SECONDS - start)) s"
done
echo "all suites passed"
