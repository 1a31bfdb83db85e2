#!/usr/bin/env bash
# Runs a command where no Rust toolchain can be reached: PATH without any
# folder that holds cargo, rustc or rustup; HOME an empty folder (no
# ~/.cargo, no ~/.rustup); the variables that point at a toolchain unset.
# The rest of the environment stays, so pip and npm reach their registries
# as they would on the user's machine.
#
#   ci/dist/without-rust.sh EMPTY_HOME COMMAND...
set -euo pipefail
home="$1"
shift
mkdir -p "$home"
if [[ -n "$(ls -A "$home")" ]]; then
  echo "without-rust: $home is not empty" >&2
  exit 1
fi
path=""
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [[ -e "$dir/cargo" || -e "$dir/rustc" || -e "$dir/rustup" ]] && continue
  path="${path:+$path:}$dir"
done
unset CARGO_HOME RUSTUP_HOME RUSTUP_TOOLCHAIN CARGO RUSTC RUSTC_WRAPPER CARGO_TARGET_DIR RUSTFLAGS CARGO_BUILD_TARGET
export HOME="$home" PATH="$path"
exec "$@"
