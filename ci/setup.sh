#!/usr/bin/env bash
# Toolchain pieces every suite shares. Idempotent: quick when already there.
set -euo pipefail
need_target() {
  local toolchain="$1" target="$2"
  rustup target list --toolchain "$toolchain" --installed | grep -qx "$target" \
    || rustup target add --toolchain "$toolchain" "$target"
}
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
need_target stable thumbv7em-none-eabihf
need_target stable wasm32-wasip1
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component list --toolchain nightly --installed | grep -q '^miri' \
  || rustup component add --toolchain nightly miri rust-src
