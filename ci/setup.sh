#!/usr/bin/env bash
# Toolchain pieces every suite shares (ci/tools.sh lists them). Each step is a
# no-op when already satisfied, and runs on every make test.
set -euo pipefail
source "$(dirname "$0")/tools.sh"
need_rust
