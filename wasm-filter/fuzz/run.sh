#!/usr/bin/env bash
# Short fuzz runs of every target: run.sh [seconds per target]. Needs nightly
# and cargo-fuzz, installed here when missing.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-15}"
source ../../ci/tools.sh
need_cargo_tool cargo-fuzz
for target in config headers; do
  mkdir -p "corpus/$target"
  [[ -d "seeds/$target" ]] && cp -n seeds/"$target"/* "corpus/$target"/
  cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=1024
done
