# What every ci/dist script shares; sourced, never run. Callers set `out`
# (the dist folder) before sourcing, or take the default.
#
# Builds for other platforms go through zig (maturin --zig, cargo zigbuild):
# one linker for every target, and glibc 2.17 symbols for the gnu ones
# (manylinux2014), so nothing depends on the building machine's libc.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/ci/tools.sh"

out="${out:-$root/dist}"
version="$("$root/ci/dist/version.sh")"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
# cargo zigbuild's linker wrapper lives at another path than maturin's, and
# cargo rebuilds a crate whose linker changed: each keeps its own target dir.
zig_target_dir="$target_dir/dist-zig"
tools="$root/.venv-dist/bin"

# Every platform make dist builds for; the install suite picks the x86_64 ones.
WEIR_DIST_TARGETS=(x86_64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-gnu aarch64-unknown-linux-musl)

# The bars of each artifact, in bytes.
max_wheel=2097152      # 2 MiB
max_node_addon=2097152 # 2 MiB
max_wasm=409600        # 400 KiB
max_static_lib=26214400 # 25 MiB

say() { printf '==> dist: %s\n' "$*" >&2; }
# Runs a command with its output kept back, shown only when it fails.
quietly() {
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    fail "failed: $*"
  fi
  rm -f "$log"
}
fail() {
  printf 'dist: %s\n' "$*" >&2
  exit 1
}

dist_tools() {
  need_venv "$root/.venv-dist" dist
  (($#)) || return 0
  need_rust_target "$@"
}

arch_of() { echo "${1%%-*}"; }             # x86_64 | aarch64
libc_of() { [[ "$1" == *-musl ]] && echo musl || echo gnu; }
go_arch_of() { [[ "$(arch_of "$1")" == x86_64 ]] && echo amd64 || echo arm64; }
# readelf's name of the machine, to check a binary was built for its target.
elf_machine_of() { [[ "$(arch_of "$1")" == x86_64 ]] && echo 'Advanced Micro Devices X86-64' || echo AArch64; }
# The name under which Alpine's dynamic linker answers for libc.
musl_libc_of() { echo "libc.musl-$(arch_of "$1").so.1"; }

# cargo zigbuild of a package for a target, into zig_target_dir; prints the
# folder holding the results. gnu targets are pinned to glibc 2.17, and
# musl ones link libc dynamically, as a cdylib (a .node, libweir.so) must.
zig_build() {
  local package="$1" target="$2" zig_target="$2"
  [[ "$target" == *-gnu ]] && zig_target="$target.2.17"
  local env_name
  env_name="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$target")_RUSTFLAGS"
  local flags=""
  [[ "$target" == *-musl ]] && flags="-C target-feature=-crt-static"
  quietly env "$env_name=$flags" PATH="$tools:$PATH" CARGO_TARGET_DIR="$zig_target_dir" \
    "$tools/cargo-zigbuild" zigbuild --release -p "$package" --target "$zig_target"
  echo "$zig_target_dir/$target/release"
}

# zig links musl's libc under the name libc.so; Alpine's libc (and what
# auditwheel checks musllinux binaries against) is libc.musl-<arch>.so.1.
# musl's loader answers to both, so the rename only makes the name true.
rename_musl_libc() {
  local file="$1" target="$2"
  if readelf -d "$file" | grep -q 'Shared library: \[libc.so\]'; then
    "$tools/patchelf" --replace-needed libc.so "$(musl_libc_of "$target")" "$file"
  fi
}

# Fails unless the ELF file is for the target's machine and needs nothing
# but its libc (and, for gnu, the libraries glibc splits off), with no glibc
# symbol newer than 2.17 in a gnu build and none at all in a musl one.
check_linkage() {
  local file="$1" target="$2" allowed needed
  readelf -h "$file" | grep -q "Machine: *$(elf_machine_of "$target")" \
    || fail "$file is not an $(arch_of "$target") binary"
  if [[ "$(libc_of "$target")" == musl ]]; then
    allowed="$(musl_libc_of "$target")"
    ! readelf -V "$file" | grep -q 'GLIBC_' || fail "$file (musl) refers to glibc symbol versions"
  else
    allowed="libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libgcc_s.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1"
    local newest
    newest="$(readelf -V "$file" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n -u | tail -1)"
    [[ -z "$newest" || "${newest#GLIBC_2.}" -le 17 ]] || fail "$file needs $newest (> glibc 2.17)"
  fi
  for needed in $(readelf -d "$file" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    [[ " $allowed " == *" $needed "* ]] || fail "$file needs $needed (allowed: $allowed)"
  done
}

size_of() { stat -c %s "$1"; }
# Fails when a file is over its bar; says its size either way.
check_size() {
  local file="$1" max="$2" size
  size="$(size_of "$file")"
  printf '    %-72s %9d bytes (bar %d)\n' "$(basename "$file")" "$size" "$max" >&2
  [[ "$size" -le "$max" ]] || fail "$file is $size bytes, over the bar of $max"
}

# A tar.gz whose bytes depend only on the files: sorted, owned by root, dated
# at the epoch, without gzip's timestamp.
reproducible_tar() {
  local archive="$1" dir="$2"
  shift 2
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir" -cf - "$@" | gzip -9n >"$archive"
}

# The strip of a target's machine (binutils reads only its own).
strip_of() { [[ "$(arch_of "$1")" == aarch64 ]] && echo aarch64-linux-gnu-strip || echo strip; }

# A static library keeps its symbols (the linker needs them) but loses debug
# info and the LLVM bitcode Rust's std embeds for LTO: two thirds of its size.
strip_static_lib() {
  local strip
  strip="$(strip_of "$2")"
  "$strip" --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd "$1"
}
