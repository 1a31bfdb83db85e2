#!/usr/bin/env bash
# Go benchmarks of weir against x/time/rate, x/sync/singleflight and aegis
# bbr, in one run. Prints the `go test -bench` lines, then one
# `<case> ns_per_op=<float>` line per case for the cross-runtime report,
# then the weir/anchor ratios. BENCHTIME (default 1s) sets the length.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
lib="${CARGO_TARGET_DIR:-$root/target}/release"
(cd "$root" && cargo build --quiet --release -p weir-ffi)
export CGO_ENABLED=1 CGO_LDFLAGS="-L$lib"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
benchtime="${BENCHTIME:-1s}"
# Single-goroutine cases on one proc; the parallel case on two.
go test -run '^$' -bench 'LimiterAllow$|ShedderAllowDone|GroupDo|ThrottleAllow|PickerPickDone' \
  -benchtime "$benchtime" -cpu 1 . | tee -a "$out"
go test -run '^$' -bench 'LimiterAllowParallel' -benchtime "$benchtime" -cpu 2 . | tee -a "$out"
awk '/^Benchmark/ {
  name = $1; sub(/^Benchmark/, "", name); gsub(/\//, ".", name)
  for (i = 2; i < NF; i++) if ($(i + 1) == "ns/op") { ns[name] = $i; printf "go.%s ns_per_op=%s\n", name, $i }
}
END {
  split("LimiterAllow:x-time-rate LimiterAllowParallel-2:x-time-rate-2 ShedderAllowDone:aegis-bbr GroupDo:x-sync-singleflight", pairs, " ")
  for (p in pairs) {
    split(pairs[p], kv, ":"); group = kv[1]; anchor = kv[2]
    suffix = (group ~ /-2$/) ? "-2" : ""; base = group; sub(/-2$/, "", base)
    w = ns[base ".weir" suffix]; a = ns[base "." anchor]
    if (w != "" && a != "") printf "ratio %s weir/%s = %.2f\n", base suffix, anchor, w / a
  }
}' "$out"
