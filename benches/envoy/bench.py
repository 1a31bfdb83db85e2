"""Interleaved wrk runs against Envoy (--concurrency 1) with no filter, the
native local_ratelimit filter, two empty proxy-wasm filters (one on the Rust
SDK, benches/envoy/empty-filter; one hand-written against the ABI,
benches/envoy/empty-raw), the hand-written one making the host calls of an
exact limit (clock, shared-data read and CAS), weir with a limit never
reached: exact, keyed, and taking tokens in leases of 256, and weir as a
dynamic module (envoy-module, libweir_envoy.so), exact and keyed. The
refuse path: local_ratelimit, the wasm filter and the module each answering
every request 429, compared with local_ratelimit refusing. "native
local_ratelimit again" is the baseline measured a second time as a case of
its own: its ratios are the measurement's own spread, what two runs of the
same filter differ by on this machine.

Each measurement starts a fresh Envoy, the only one running, pinned to CPU
0, with wrk on CPU 1. A round runs each baseline followed by the cases held
to it, and every other round runs backwards. Prints a markdown table of
medians, min-max, the ratios each case is held to (the median of each
round's ratio, and that ratio's min-max) and Envoy's CPU time per request.

Usage: .venv-envoy/bin/python benches/envoy/bench.py [rounds] [seconds]
WEIR_FILTER_WASM: the filter to load (default target/wasm32-wasip1/release);
WEIR_ALT_WASM: another build of it, run as one more case;
WEIR_ALT_MODULE: a folder holding another build of libweir_envoy.so, run as
"weir native (alt)" and "weir native refusing (alt)" beside the current one
(and with it when BENCH_CASES names the current one);
"empty module" and "empty module refusing" are the dynamic module's
floor, benches/envoy/empty-module (every hook a no-op, weir's 429 sent
from constants);
BENCH_CASES: comma-separated case names to run (native always runs), which
may also name the raw floor's extra variants (see EXTRA).

PACED_LOAD (e.g. 0.5): after its wrk run, each Envoy also serves requests
at a fixed rate, open loop (benches/envoy/paced), PACED_LOAD times what the
path's baseline served in the first round. wrk's p99 is taken at
saturation, where eight busy connections queue behind Envoy, so a filter a
few percent slower shows a p99 that much higher whatever it adds to one
request; the paced p99 is a request's own latency below saturation. It is
off by default: on a machine whose other processes preempt Envoy for
milliseconds at a time, those stalls set the paced p99 (see README.md).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "wasm-filter/tests/envoy"))
sys.path.insert(0, str(ROOT / "envoy-module/tests/envoy"))
from harness import DIRECT_OK, Envoy, bootstrap, wasm_filter, wrk  # noqa: E402
from module import module_filter  # noqa: E402 (also points Envoy at the module build)

HUGE = 1_000_000_000
NATIVE = {
    "name": "envoy.filters.http.local_ratelimit",
    "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
        "stat_prefix": "local_rl",
        "token_bucket": {"max_tokens": HUGE, "tokens_per_fill": HUGE, "fill_interval": "1s"},
        "filter_enabled": {"runtime_key": "rl_enabled", "default_value": {"numerator": 100, "denominator": "HUNDRED"}},
        "filter_enforced": {"runtime_key": "rl_enforced", "default_value": {"numerator": 100, "denominator": "HUNDRED"}},
    },
}
WEIR = wasm_filter({"rules": [{"name": "bench", "limit": {"rate": HUGE, "per": "1s", "burst": HUGE}}]})
WEIR_KEYED = wasm_filter(
    {"rules": [{"name": "bench", "limit": {"rate": HUGE, "per": "1s", "burst": HUGE, "key": "client_address"}}]}
)
# The refuse path is held to local_ratelimit sending what weir's refusal
# sends, so the two answers cost Envoy the same header work: weir's 429
# carries retry-after, x-ratelimit-limit/-remaining/-reset, x-weir-rule and
# x-weir-no-retry: 1 (the REFUSING rule below: no gRPC, no debug headers).
# The anchor is configured up to that set rather than weir's case cut down
# to the anchor's default, because weir's headers are its behaviour (a
# client's retry advice and the no-retry marker) and no option turns them
# off: the x-ratelimit-* trio from enable_x_ratelimit_headers, the rest as
# fixed values from response_headers_to_add. Left unequal: the body
# (local_ratelimit's fixed "local_rate_limited", 18 bytes; weir's names the
# reason and the rule, 35) and the response code details.
NATIVE_REFUSING = {
    **NATIVE,
    "typed_config": {
        **NATIVE["typed_config"],
        "token_bucket": {"max_tokens": 1, "tokens_per_fill": 1, "fill_interval": "3600s"},
        "enable_x_ratelimit_headers": "DRAFT_VERSION_03",
        "response_headers_to_add": [
            {"header": {"key": "retry-after", "value": "3600"}},
            {"header": {"key": "x-weir-rule", "value": "bench"}},
            {"header": {"key": "x-weir-no-retry", "value": "1"}},
        ],
    },
}
UNLIMITED = {"rules": [{"name": "bench", "limit": {"rate": HUGE, "per": "1s", "burst": HUGE}}]}
UNLIMITED_KEYED = {
    "rules": [{"name": "bench", "limit": {"rate": HUGE, "per": "1s", "burst": HUGE, "key": "client_address"}}]
}
# One token an hour: after the first request every answer is a 429.
REFUSING = {"rules": [{"name": "bench", "limit": {"rate": 1, "per": "1h", "burst": 1}}]}
HERE = Path(__file__).resolve().parent
PACED = HERE / "paced/target/release/paced"
EMPTY_WASM = HERE / "empty-filter/target/wasm32-wasip1/release/empty_filter.wasm"
RAW_TARGET = HERE / "empty-raw/target"
# The raw floor and its variants: Cargo features -> where that build lands.
RAW_BUILDS = {
    "": RAW_TARGET,
    "stream-callbacks": RAW_TARGET / "stream",
    "clock": RAW_TARGET / "clock",
    "clock,shared-get": RAW_TARGET / "get",
    "clock,shared": RAW_TARGET / "shared",
}


def raw_wasm(features: str) -> Path:
    return RAW_BUILDS[features] / "wasm32-wasip1/release/empty_raw.wasm"


def build_floors() -> None:
    """The empty filters are tiny crates of their own; build them here so the
    bench never runs a stale one."""
    cargo = ["cargo", "build", "--release", "-q", "--target", "wasm32-wasip1"]
    subprocess.run(cargo + ["--manifest-path", str(HERE / "empty-filter/Cargo.toml")], check=True)
    native = ["cargo", "build", "--release", "-q", "--manifest-path", str(HERE / "empty-module/Cargo.toml")]
    subprocess.run(native, check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "--manifest-path", str(HERE / "paced/Cargo.toml")], check=True)
    raw = cargo + ["--manifest-path", str(HERE / "empty-raw/Cargo.toml")]
    for features, target in RAW_BUILDS.items():
        env = {**os.environ, "CARGO_TARGET_DIR": str(target)}
        subprocess.run(raw + (["--features", features] if features else []), check=True, env=env)


def with_code(filter_config: dict, path: Path) -> dict:
    """The same wasm filter config, loading another module."""
    if isinstance(filter_config, dict):
        return {k: (str(path) if k == "filename" else with_code(v, path)) for k, v in filter_config.items()}
    if isinstance(filter_config, list):
        return [with_code(v, path) for v in filter_config]
    return filter_config


WEIR_LEASED = wasm_filter(
    {"rules": [{"name": "bench", "limit": {"rate": HUGE, "per": "1s", "burst": HUGE, "lease": 256}}]}
)
# The floor of a dynamic module (empty-module/): every hook, none doing
# anything; "refuse" sends weir's 429 from constants. Its distance to
# local_ratelimit is the ABI's own cost per stream.
EMPTY_MODULE_DIR = HERE / "empty-module/target/release"


def empty_module(config: str) -> dict:
    filter_ = module_filter({})
    typed = filter_["typed_config"]
    return {
        **filter_,
        "typed_config": {
            **typed,
            "dynamic_module_config": {"name": "empty_module"},
            "filter_config": {**typed["filter_config"], "value": config},
        },
    }


ALT_WASM = os.environ.get("WEIR_ALT_WASM")
CASES = {
    "native local_ratelimit": [NATIVE],
    "native local_ratelimit again": [NATIVE],
    "weir native": [module_filter(UNLIMITED)],
    "weir native keyed": [module_filter(UNLIMITED_KEYED)],
    # The module's floor, in every run, so its bars are read beside it.
    "empty module": [empty_module("pass")],
    "no filter": [],
    "empty Rust SDK filter": [with_code(WEIR, EMPTY_WASM)],
    "empty raw filter": [with_code(WEIR, raw_wasm(""))],
    "empty raw + clock + shared get/CAS": [with_code(WEIR, raw_wasm("clock,shared"))],
    "weir": [WEIR],
    "weir keyed": [WEIR_KEYED],
    "weir lease 256": [WEIR_LEASED],
    "native local_ratelimit refusing": [NATIVE_REFUSING],
    "weir native refusing": [module_filter(REFUSING)],
    "empty module refusing": [empty_module("refuse")],
    "weir refusing": [wasm_filter(REFUSING)],
}


def baseline(case: str) -> str:
    """Each case's ratios are taken against the native filter on the same path."""
    return "native local_ratelimit refusing" if "refusing" in case else "native local_ratelimit"


# Run only when named in BENCH_CASES: the raw floor with each host call
# added in turn, to price them one by one.
EXTRA = {
    "empty raw + stream callbacks": [with_code(WEIR, raw_wasm("stream-callbacks"))],
    "empty raw + clock read": [with_code(WEIR, raw_wasm("clock"))],
    "empty raw + clock + shared get": [with_code(WEIR, raw_wasm("clock,shared-get"))],
}

# Cases whose Envoy finds its module in another folder than weir's build.
MODULE_DIRS = {"empty module": EMPTY_MODULE_DIR, "empty module refusing": EMPTY_MODULE_DIR}
if ALT_WASM:  # another build of the filter, e.g. other profile settings
    CASES["weir alt build"] = [with_code(WEIR, Path(ALT_WASM))]
# Another build of the module (a before/after pair in one interleaved run):
# Envoy finds a module by name on ENVOY_DYNAMIC_MODULES_SEARCH_PATH, read
# when it starts, so these cases' Envoys start with the path pointing there.
ALT_MODULE = os.environ.get("WEIR_ALT_MODULE")
ALT_MODULE_CASES = {"weir native (alt)": "weir native", "weir native refusing (alt)": "weir native refusing"}
if ALT_MODULE:
    for alt, case in ALT_MODULE_CASES.items():
        CASES[alt] = CASES[case]
        MODULE_DIRS[alt] = Path(ALT_MODULE).resolve()


def pin(pid: int, cpu: int) -> None:
    subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)], check=False, capture_output=True)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    only = [c for c in os.environ.get("BENCH_CASES", "").split(",") if c]
    every = {**CASES, **EXTRA}
    baselines = {"native local_ratelimit", "native local_ratelimit refusing"}
    # A named case brings its other build (WEIR_ALT_MODULE) along.
    named = {n for n in every if n in only or n in baselines or ALT_MODULE_CASES.get(n) in only}
    cases = {n: f for n, f in every.items() if n in named} if only else CASES
    build_floors()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "weir-envoy-module"], check=True, cwd=ROOT)
    results: dict[str, list[dict]] = {name: [] for name in cases}
    load = float(os.environ.get("PACED_LOAD", "0"))
    # Each path's paced rate, fixed by its baseline's first round (which
    # runs before the cases held to it) so every case gets the same.
    rates: dict[str, float] = {}
    for r in range(rounds):
        # Every other round runs backwards, so a drift of the machine
        # during a round weighs on a case and its baseline alike.
        for name in order(list(cases), reverse=r % 2 == 1):
            paced_rate = (lambda rps, b=baseline(name): rates.setdefault(b, load * rps)) if load > 0 else None
            res = measure(name, cases[name], seconds, paced_rate)
            results[name].append(res)
            paced = f"; at {res['paced_rate']:.0f} req/s p99 {res['paced_p99_us']:.0f} us" if paced_rate else ""
            print(
                f"round {r + 1} {name}: {res['rps']:.0f} req/s p99 {res['p99_us']:.0f} us "
                f"cpu {res['cpu_us']:.2f} us/req{paced}",
                file=sys.stderr,
            )
    report(results, rounds, seconds, load)


def order(names: list[str], reverse: bool) -> list[str]:
    """A round's running order: each baseline, then the cases held to it in
    the order CASES lists them (the dynamic module's first, seconds from
    their baseline), or the whole list backwards."""
    groups: dict[str, list[str]] = {}
    for n in sorted(names, key=lambda n: baseline(n) != n):
        groups.setdefault(baseline(n), []).append(n)
    ordered = [n for group in groups.values() for n in group]
    return ordered[::-1] if reverse else ordered


def measure(name: str, filters: list, seconds: int, paced_rate) -> dict:
    """One case in a fresh Envoy, the only one running. A process's code and
    heap land at random addresses, and one layout can run a few percent
    faster or slower than another for its whole life (measured here: one
    pair of processes held a ratio of 0.87-0.96 in every round of a run,
    median 0.93, the next pair 0.99); a new process per measurement draws a
    new layout each time, so a median over rounds is not one draw's luck.
    `paced_rate(rps)`, if given, is the rate to serve open loop after the
    wrk run, from the rps that run measured."""
    with start(name, filters) as e:
        pin(e.proc.pid, 0)
        wrk(e.port, seconds=1, threads=1, connections=4)  # warm-up
        cpu_before = cpu_seconds(e.proc.pid)
        res = wrk_pinned(e.port, seconds)
        res["cpu_us"] = (cpu_seconds(e.proc.pid) - cpu_before) * 1e6 / max(res["total"], 1)
        if paced_rate is None:
            return res
        rate = paced_rate(res["rps"])
        paced = paced_pinned(e.port, rate, seconds)
        if paced["answered"] < paced["due"]:
            raise RuntimeError(f"{name}: {paced['due'] - paced['answered']} paced requests unanswered at {rate:.0f} req/s")
        res["paced_rate"], res["paced_p99_us"] = rate, paced["p99_us"]
        return res


def start(name: str, filters: list) -> Envoy:
    if name not in MODULE_DIRS:
        return Envoy(bootstrap(filters, DIRECT_OK), concurrency=1)
    search = os.environ["ENVOY_DYNAMIC_MODULES_SEARCH_PATH"]
    os.environ["ENVOY_DYNAMIC_MODULES_SEARCH_PATH"] = str(MODULE_DIRS[name])
    try:
        return Envoy(bootstrap(filters, DIRECT_OK), concurrency=1)
    finally:
        os.environ["ENVOY_DYNAMIC_MODULES_SEARCH_PATH"] = search


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk_pinned(port: int, seconds: int) -> dict:
    os.sched_setaffinity(0, {1})
    try:
        return wrk(port, seconds=seconds, threads=1, connections=8)
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def paced_pinned(port: int, rate: float, seconds: int) -> dict:
    """The paced run, from CPU 1 as wrk's."""
    os.sched_setaffinity(0, {1})
    try:
        out = subprocess.run([str(PACED), str(port), f"{rate:.0f}", str(seconds)], capture_output=True, text=True,
                             timeout=seconds + 30)
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    if out.returncode != 0:
        raise RuntimeError(f"paced failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def report(results: dict[str, list[dict]], rounds: int, seconds: int, load: float) -> None:
    base = {n: baseline(n) for n in results}
    med = {n: statistics.median(r["rps"] for r in rs) for n, rs in results.items()}
    p99 = {n: statistics.median(r["p99_us"] for r in rs) for n, rs in results.items()}
    cpu = {n: statistics.median(r["cpu_us"] for r in rs) for n, rs in results.items()}
    # A round's cases run back to back, so a ratio within a round cancels
    # most of a busy machine's drift; its median is the steadier figure.
    rounds_rps = {n: [r["rps"] / br["rps"] for r, br in zip(rs, results[base[n]])] for n, rs in results.items()}
    rounds_p99 = {n: [r["p99_us"] / br["p99_us"] for r, br in zip(rs, results[base[n]])] for n, rs in results.items()}
    paced = {
        n: [r["paced_p99_us"] / br["paced_p99_us"] for r, br in zip(rs, results[base[n]])]
        for n, rs in results.items()
        if load > 0
    }
    print(f"\n{rounds} interleaved rounds of {seconds} s, wrk -t1 -c8 on CPU 1, Envoy --concurrency 1 on CPU 0")
    if paced:
        print(f"then {seconds} s paced at {load:g} x the path's baseline's first-round req/s (open loop, 8 connections)")
    print("(refusing cases are compared with local_ratelimit refusing, the others with local_ratelimit admitting)\n")
    print(
        "| case | req/s median | req/s min-max | p99 us median | x native req/s | x native per round "
        "| x native p99 | Envoy CPU us/req | x native p99 per round | x native per round min-max "
        "| x native p99 per round min-max |"
        + (" paced p99 us median | paced x native p99 per round | paced x native p99 per round min-max |" if paced else "")
    )
    print("|---" * (14 if paced else 11) + "|")
    for n, rs in results.items():
        lo, hi = min(r["rps"] for r in rs), max(r["rps"] for r in rs)
        b = base[n]
        print(
            f"| {n} | {med[n]:.0f} | {lo:.0f}-{hi:.0f} | {p99[n]:.0f} | "
            f"{med[n] / med[b]:.2f} | {statistics.median(rounds_rps[n]):.3f} | {p99[n] / p99[b]:.2f} | "
            f"{cpu[n]:.2f} | {statistics.median(rounds_p99[n]):.3f} | "
            f"{min(rounds_rps[n]):.3f}-{max(rounds_rps[n]):.3f} | {min(rounds_p99[n]):.3f}-{max(rounds_p99[n]):.3f} |"
            + (
                f" {statistics.median(r['paced_p99_us'] for r in rs):.0f} | {statistics.median(paced[n]):.3f} | "
                f"{min(paced[n]):.3f}-{max(paced[n]):.3f} |"
                if paced
                else ""
            )
        )

if __name__ == "__main__":
    main()
