#!/usr/bin/env bash
# weir-ffi and the Go package: lints, the committed header against a fresh
# cbindgen run and the Go call layers against a fresh `go generate`, the
# Rust tests of the boundary (also under Miri), the C tests under ASan +
# UBSan and under valgrind, the C example through pkg-config, and
# `go vet` + `go test -race` over the static library (and `go test` again
# with the opt-in weir_direct tag, the direct-call build). The
# fleet limiter's C and Go tests lease from a redis-server this suite starts
# on a free loopback port (and stops on exit).
# `ci/suites/40-ffi-go.sh --header` only rewrites the `_now` twins in ffi/src and
# regenerates ffi/include/weir.h.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

source ci/tools.sh
need_cargo_tool cbindgen
header() { (cd ffi && cbindgen --quiet --config cbindgen.toml --crate weir-ffi --output "$1" .); }
# The `_now` twins are written from the `// twin` marks in ffi/src by a
# package of their own (it builds even when the twins it rewrites do not).
twins() { cargo run -q --manifest-path ffi/twins/Cargo.toml -- "$@"; }
if [[ "${1:-}" == "--header" ]]; then
  twins
  header include/weir.h
  exit 0
fi

need_apt valgrind redis-server
command -v go >/dev/null || { echo "go is not installed (Go >= 1.24 is needed for bindings/go)" >&2; exit 1; }

fresh="$(mktemp -d)"
redis_pid=""
cleanup() {
  if [[ -n "$redis_pid" ]]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$fresh"
}
trap cleanup EXIT
cargo fmt --manifest-path ffi/twins/Cargo.toml -- --check
cargo clippy -q --manifest-path ffi/twins/Cargo.toml --all-targets -- -D warnings
cargo test -q --manifest-path ffi/twins/Cargo.toml
twins --check
header "$fresh/weir.h"
if ! diff -u ffi/include/weir.h "$fresh/weir.h"; then
  echo "ffi/include/weir.h is stale: run ci/suites/40-ffi-go.sh --header and commit it" >&2
  exit 1
fi
# The Go package's call layers, generated from that header and
# bindings/go/internal/gencalls/hotcalls.txt.
(cd bindings/go && go run ./internal/gencalls -out "$fresh/gencalls")
for generated in "$fresh"/gencalls/*; do
  committed="bindings/go/$(basename "$generated")"
  if ! diff -u "$committed" "$generated"; then
    echo "$committed is stale: run go generate in bindings/go and commit it" >&2
    exit 1
  fi
done

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then break; fi
  sleep 0.05
done
redis-cli -p "$port" ping >/dev/null
export WEIR_REDIS_URL="redis://127.0.0.1:$port" WEIR_REQUIRE_REDIS=1

cargo clippy -p weir-ffi --all-targets -- -D warnings
cargo test -p weir-ffi
cargo build --release -p weir-ffi
lib="${CARGO_TARGET_DIR:-$root/target}/release"

# The C tests: once with sanitizers, once plain under valgrind.
cflags=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -Iffi/include)
libs=("$lib/libweir.a" -lpthread -ldl -lm)
gcc "${cflags[@]}" -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
  ffi/tests/c/*.c "${libs[@]}" -o "$fresh/weir_c_asan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$fresh/weir_c_asan" core/tests/vectors host/tests/vectors/limiter-units.json host/tests/vectors/key-hash.json
gcc "${cflags[@]}" -O0 ffi/tests/c/*.c "${libs[@]}" -o "$fresh/weir_c"
valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect "$fresh/weir_c" core/tests/vectors host/tests/vectors/limiter-units.json host/tests/vectors/key-hash.json

# Undefined behaviour in the Rust side of the boundary.
MIRIFLAGS="-Zmiri-disable-isolation" cargo +nightly miri test -p weir-ffi

# The example, as a user builds it: pkg-config against the in-tree library.
make -s -C examples/c run BUILD="$fresh/example" WEIR_INCLUDEDIR="$root/ffi/include" WEIR_LIBDIR="$lib"

cd bindings/go
# The library module requires nothing: what a user's `go get` adds to their
# graph is weir alone (the benchmarks' anchors live in bench/'s own module).
go mod tidy
git diff --exit-code go.mod
[[ ! -e go.sum ]] || { echo "bindings/go/go.sum exists: the library module must have no requirements" >&2; exit 1; }
grep -q '^require' go.mod && { echo "bindings/go/go.mod has a require block" >&2; exit 1; }
export CGO_ENABLED=1 CGO_LDFLAGS="-L$lib"
go vet ./...
go vet -tags weir_direct ./...
go test -race -count=1 ./...
# Timing bars skip themselves under the race detector: the default (cgo)
# build runs them here.
go test -count=1 -run 'Hedging' .
# The opt-in direct calls, which run native code on the thread's system
# stack through the runtime's asmcgocall; then the cgo fallback a toolchain
# they were not verified on builds (internal/direct/doc.go), on this one.
go test -tags weir_direct -count=1 ./...
go vet -tags weir_direct,weir_direct_cgo ./...
go test -tags weir_direct,weir_direct_cgo -count=1 .
# The benchmarks compile and run (one iteration each); bench/bench.sh measures.
(cd bench && go vet ./... && go test -run '^$' -bench . -benchtime 1x ./... >/dev/null)
# Modules of their own over the library (a replace): the client_golang
# collector, the gRPC interceptors (a grpc-go server and client on
# loopback), the OpenTelemetry bridge, the net/http and gRPC examples
# started on loopback, and the OpenTelemetry example. Each keeps its go.sum committed and tidy.
for module in weirprom weirgrpc weirotel ../../examples/go/nethttp ../../examples/go/grpc ../../examples/go/otel; do
  (cd "$module" && go mod tidy && git ls-files --error-unmatch go.mod go.sum >/dev/null && git diff --exit-code -- go.mod go.sum)
done
(cd weirprom && go vet ./... && go test -race -count=1 ./...)
(cd weirgrpc && go vet ./... && go test -race -count=1 ./...)
(cd weirotel && go vet ./... && go test -race -count=1 ./...)
(cd ../../examples/go/nethttp && go vet ./... && go test -count=1 ./...)
(cd ../../examples/go/grpc && go vet ./... && go test -count=1 ./...)
(cd ../../examples/go/otel && go vet ./... && go test -count=1 ./...)
