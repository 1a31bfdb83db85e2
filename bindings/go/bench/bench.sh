#!/usr/bin/env bash
# Go benchmarks of weir (the default, plain cgo) against x/time/rate,
# x/sync/singleflight, aegis bbr and go-chi/httprate (weirhttp), in one run, then weir's opt-in
# weir_direct build (weir-direct). Prints the `go
# test -bench` lines, then one `<case> ns_per_op=<float>` line per case for
# the cross-runtime report, then the weir/anchor ratios. Each case runs COUNT times (default 5) for
# BENCHTIME each (default 300ms), weir and its anchor alternating, and the
# fastest run of each counts: on a shared machine the minimum is the
# estimate least moved by other load.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../../.. && pwd)"
lib="${CARGO_TARGET_DIR:-$root/target}/release"
(cd "$root" && cargo build --quiet --release -p weir-ffi)
export CGO_ENABLED=1 CGO_LDFLAGS="-L$lib"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
benchtime="${BENCHTIME:-300ms}"
count="${COUNT:-5}"
single='LimiterAllow$|ShedderAllowDone|GroupDo|ThrottleAllow|PickerPickDone|HTTPMiddleware|PolicyCheck'
# Single-goroutine cases on one proc; the parallel case on two.
go test -run '^$' -bench "$single" -benchtime "$benchtime" -count "$count" -benchmem -cpu 1 . | tee -a "$out"
go test -run '^$' -bench 'LimiterAllowParallel' -benchtime "$benchtime" -count "$count" -benchmem -cpu 2 . | tee -a "$out"
# The same weir cases in the opt-in weir_direct build, as weir-direct.
direct() { sed -E 's#/weir(-2)?([[:space:]])#/weir-direct\1\2#' | tee -a "$out"; }
go test -tags weir_direct -run '^$' -bench "($single)/weir\$" -benchtime "$benchtime" -count "$count" -benchmem -cpu 1 . | direct
go test -tags weir_direct -run '^$' -bench 'LimiterAllowParallel/weir$' -benchtime "$benchtime" -count "$count" -benchmem -cpu 2 . | direct
awk '/^Benchmark/ {
  name = $1; sub(/^Benchmark/, "", name); gsub(/\//, ".", name)
  for (i = 2; i < NF; i++) if ($(i + 1) == "ns/op" && (!(name in ns) || $i + 0 < ns[name] + 0)) ns[name] = $i
}
END {
  for (name in ns) printf "go.%s ns_per_op=%s\n", name, ns[name]
  split("LimiterAllow:x-time-rate LimiterAllowParallel-2:x-time-rate-2 ShedderAllowDone:aegis-bbr GroupDo:x-sync-singleflight", pairs, " ")
  for (p in pairs) {
    split(pairs[p], kv, ":"); group = kv[1]; anchor = kv[2]
    suffix = (group ~ /-2$/) ? "-2" : ""; base = group; sub(/-2$/, "", base)
    w = ns[base ".weir" suffix]; a = ns[base "." anchor]
    if (w != "" && a != "") printf "ratio %s weir/%s = %.2f\n", base suffix, anchor, w / a
  }
  w = ns["PolicyCheck.weir-policy"]; a = ns["PolicyCheck.weir-limiter"]
  if (w != "" && a != "") printf "ratio PolicyCheck policy/limiter = %.2f\n", w / a
  # net/http middleware: the cost of each above the bare handler.
  w = ns["HTTPMiddleware.weir"]; a = ns["HTTPMiddleware.httprate"]; h = ns["HTTPMiddleware.bare"]
  if (w != "" && a != "" && h != "" && a - h > 0) printf "ratio HTTPMiddleware weir/httprate per admitted request = %.2f\n", (w - h) / (a - h)
}' "$out"
