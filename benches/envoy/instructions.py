"""Envoy's instructions per request, counted by callgrind: the cost of each
filter on the admit and refuse paths in a figure a busy machine cannot move.

bench.py's req/s ratios are the bars, but on a shared machine a round's
cases can differ by more than the filters do. Here each case's Envoy
(--concurrency 1) runs under valgrind's callgrind with instrumentation off
while it starts and warms up; it is switched on for a fixed wrk run and the
count is dumped at its end, so what is counted is the requests (the event
loop, the codec, the filter chain, the local reply) and only them.
User-space only: the kernel's share (the sockets) is the same for every
case, as each serves the same requests over the same connections.

Usage: instructions.py [seconds] (default 8). Each case takes about a
minute (Envoy starts and warms up under valgrind).
CALLGRIND_CACHE=1 adds callgrind's cache simulation (L1 and last-level
misses per function and instruction, for `callgrind_annotate`) and a second
table: the module's own code lines, instructions and L1 misses per request
(code_lines.py); CALLGRIND_KEEP=DIR keeps
each case's dump there, named after the case; CASES=a,b runs only those;
WEIR_ALT_MODULE adds bench.py's \"(alt)\" cases.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402
import code_lines  # noqa: E402
import harness  # noqa: E402 (bench put its folder on the path)

# Each case beside the one its ratio is taken against.
CASES = [
    ("native local_ratelimit", "native local_ratelimit"),
    ("empty module", "native local_ratelimit"),
    ("weir native", "native local_ratelimit"),
    ("native local_ratelimit refusing", "native local_ratelimit refusing"),
    ("empty module refusing", "native local_ratelimit refusing"),
    ("weir native refusing", "native local_ratelimit refusing"),
]
CACHE_SIM = "--cache-sim=yes --dump-instr=yes " if os.environ.get("CALLGRIND_CACHE") else ""
KEEP = os.environ.get("CALLGRIND_KEEP")
# Another build of the module (WEIR_ALT_MODULE, as bench.py takes it).
if bench.ALT_MODULE:
    CASES += [(alt, bench.baseline(case)) for alt, case in bench.ALT_MODULE_CASES.items()]
# Envoy under valgrind answers its admin port slowly while it starts.
START_TIMEOUT = 600


def under_callgrind(out_dir: Path, envoy: str) -> Path:
    """A script that runs `envoy` under callgrind, counting nothing until told."""
    script = out_dir / "envoy"
    script.write_text(
        "#!/bin/sh\n"
        f"exec valgrind --tool=callgrind --instr-atstart=no {CACHE_SIM}--callgrind-out-file={out_dir}/callgrind.%p "
        f'"{envoy}" "$@"\n'
    )
    script.chmod(0o755)
    return script


def count(name: str, seconds: int) -> tuple[int, int, dict[str, float] | None]:
    """(instructions, requests, the module's own cost per request when the
    cache is simulated) of `seconds` of wrk against the case's Envoy."""
    with tempfile.TemporaryDirectory(prefix="weir-callgrind-") as d:
        out_dir = Path(d)
        real = harness.envoy_binary
        wrapped = str(under_callgrind(out_dir, real()))
        harness.envoy_binary = lambda: wrapped
        try:
            envoy = start(name)
        finally:
            harness.envoy_binary = real
        try:
            harness.wrk(envoy.port, seconds=3, threads=1, connections=4)  # warm-up
            pid = str(envoy.proc.pid)
            subprocess.run(["callgrind_control", "--instr=on", pid], check=True, capture_output=True)
            res = harness.wrk(envoy.port, seconds=seconds, threads=1, connections=1)
            subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
        finally:
            envoy.close()
        dumps = sorted(out_dir.glob("callgrind.*.1"))
        if not dumps:
            raise RuntimeError(f"{name}: callgrind wrote no dump in {out_dir}")
        m = re.search(r"^summary: (\d+)", dumps[0].read_text(errors="replace"), re.M)
        if not m:
            raise RuntimeError(f"{name}: no summary line in {dumps[0]}")
        if KEEP:
            Path(KEEP).mkdir(parents=True, exist_ok=True)
            (Path(KEEP) / f"{name.replace(' ', '-')}.callgrind").write_bytes(dumps[0].read_bytes())
        module = code_lines.module_cost(dumps[0], res["total"]) if CACHE_SIM else None
        return int(m.group(1)), res["total"], module


def start(name: str) -> harness.Envoy:
    """The case's Envoy, as bench.py starts it, given valgrind's start-up time."""
    filters = {**bench.CASES, **bench.EXTRA}[name]

    class Slow(harness.Envoy):
        def __init__(self, config: dict, concurrency: int = 2) -> None:
            super().__init__(config, concurrency, timeout=START_TIMEOUT)

        def get_admin(self, path: str) -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}{path}", timeout=120) as r:
                return r.read().decode()

    saved = bench.Envoy
    bench.Envoy = Slow
    try:
        return bench.start(name, filters)
    finally:
        bench.Envoy = saved


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    bench.build_floors()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "weir-envoy-module"], check=True, cwd=HERE.parents[1])
    only = [c for c in os.environ.get("CASES", "").split(",") if c]
    cases = [(name, base) for name, base in CASES if not only or name in only or name == base]
    per_request: dict[str, float] = {}
    modules: dict[str, dict[str, float]] = {}
    for name, _ in cases:
        instructions, requests, module = count(name, seconds)
        per_request[name] = instructions / max(requests, 1)
        if module and module["instructions"]:
            modules[name] = module
        print(f"{name}: {per_request[name]:.0f} instructions/request over {requests} requests", file=sys.stderr)
    print(f"\nEnvoy --concurrency 1 under callgrind, {seconds} s of wrk -t1 -c1 per case, user-space instructions\n")
    print("| case | instructions/request | x native | over native |")
    print("|---|---|---|---|")
    for name, base in cases:
        n, b = per_request[name], per_request[base]
        print(f"| {name} | {n:.0f} | {n / b:.3f} | {n - b:+.0f} |")
    if modules:
        print("\nThe module's own code, per request (code lines: 64-byte lines it runs on every request)\n")
        print("| case | code lines | instructions | L1i misses | L1d read misses | L1d write misses |")
        print("|---|---|---|---|---|---|")
        for name, c in modules.items():
            print(
                f"| {name} | {c['code lines']} | {c['instructions']:.0f} | {c['I1 misses']:.1f} | "
                f"{c['D1 read misses']:.1f} | {c['D1 write misses']:.1f} |"
            )


if __name__ == "__main__":
    os.chdir(HERE.parents[1])
    main()
