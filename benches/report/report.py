"""Reads the outputs `ci/bench.sh` left in one directory and writes
benches/REPORT.md (a table of weir / anchor ratios, one row per bar of the
issues) and benches/report/ratios.svg (the same ratios as bars).

Usage: python3 benches/report/report.py <outputs dir> [REPORT.md path]
"""
from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bars import BARS, TESTED, Bar, Cases  # noqa: E402
from chart import svg  # noqa: E402

LINE = re.compile(r"^(\S+) ns_per_op=([-+0-9.eE]+|inf|nan)\s*$")


def cells(line: str) -> List[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def number(text: str) -> Optional[float]:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def parse(suite: str, text: str) -> Dict[str, float]:
    out: Dict[str, float] = {}
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if m:
            out[m.group(1)] = float(m.group(2))
        elif suite == "envoy" and line.startswith("|"):
            # | case | req/s median | req/s min-max | p99 us median | ...
            c = cells(line)
            rps, p99 = (number(c[1]), number(c[3])) if len(c) >= 4 else (None, None)
            if rps is not None and p99 is not None:
                out[f"{c[0]} rps"], out[f"{c[0]} p99_us"] = rps, p99
            # ... | x native per round | ... | x native p99 per round |
            rps_round, p99_round = (number(c[5]), number(c[8])) if len(c) >= 9 else (None, None)
            if rps_round is not None and p99_round is not None:
                out[f"{c[0]} rps per round"], out[f"{c[0]} p99 per round"] = rps_round, p99_round
            # ... | x native per round min-max | x native p99 per round min-max |
            for column, what in ((9, "rps"), (10, "p99")):
                lo_hi = [number(v) for v in c[column].split("-")] if len(c) > column else []
                if len(lo_hi) == 2 and None not in lo_hi:
                    out[f"{c[0]} {what} per round min"], out[f"{c[0]} {what} per round max"] = lo_hi
        elif suite == "envoy-instructions" and line.startswith("|"):
            # | case | instructions/request | x native | over native |
            c = cells(line)
            n = number(c[1]) if len(c) >= 4 else None
            if n is not None:
                out[c[0]] = n
        elif suite == "fleet" and line.startswith("|"):
            # | limiter | decisions | admitted | calls | ns/decision | admitted/call |
            c = cells(line)
            admitted, calls = (number(c[2]), number(c[3])) if len(c) >= 6 else (None, None)
            if admitted and calls is not None:
                who = "weir-fleet" if c[0].startswith("weir-fleet") else "naive" if c[0].startswith("naive") else None
                if who:
                    key = f"{who} calls/admitted"
                    out[key] = max(out.get(key, 0.0), calls / admitted)  # the worst row counts
    return out


def fmt(v: float) -> str:
    if v == 0 or math.isinf(v) or math.isnan(v):
        return str(v)
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def rows(cases: Cases) -> List[Tuple[Bar, Optional[Tuple[float, float, float]]]]:
    return [(b, b.ratio(cases)) for b in BARS]


def markdown(cases: Cases, meta: str, results: List[Tuple[Bar, Optional[Tuple[float, float, float]]]]) -> str:
    met = sum(1 for b, r in results if r and b.met(r[2]))
    measured = sum(1 for _, r in results if r)
    out = [
        "# Benchmark report",
        "",
        "Written by `make bench` (`ci/bench.sh`, then `benches/report/report.py`). Every ratio is",
        "weir's number over its anchor's **from the same run of the same suite**; absolute bars",
        "(ns, calls) use the bar's own number as the anchor. Raw outputs: `target/bench/`.",
        "",
        meta.strip(),
        "",
        f"**{met} of {measured} measured bars met**"
        + (f", {len(results) - measured} not measured in this run." if measured < len(results) else "."),
        "",
        "| issue | what | anchor | weir | anchor | weir / anchor | bar | |",
        "|---:|---|---|---:|---:|---:|---|---|",
    ]
    for b, r in results:
        if r is None:
            out.append(f"| {b.issue} | {b.what} | {b.anchor} | – | – | – | {b.op} {b.limit:g} | not measured |")
            continue
        w, a, ratio = r
        out.append(
            f"| {b.issue} | {b.what} | {b.anchor} | {fmt(w)} {b.unit} | {fmt(a)} {b.unit} | **{ratio:.3f}** | "
            f"{b.op} {b.limit:g} | {'met' if b.met(ratio) else 'MISSED'} |"
        )
    out += [
        "",
        "![weir / anchor against each bar](report/ratios.svg)",
        "",
        "## Bars proved by tests, not timed",
        "",
        "| issue | bar | where |",
        "|---:|---|---|",
    ]
    out += [f"| {i} | {what} | {where} |" for i, what, where in TESTED]
    out += envoy_rounds(cases.get("envoy", {}))
    out += instructions(cases.get("envoy-instructions", {}))
    missing = sorted(s for s in ("core", "go", "python", "node", "envoy", "fleet") if not cases.get(s))
    if missing:
        out += ["", f"Suites without output in this run: {', '.join(missing)} (see `target/bench/<suite>.err`)."]
    return "\n".join(out) + "\n"


# The Envoy cases held to a per-round bar, the baseline measured twice, and
# the module's floor (the dynamic-module ABI with hooks that do nothing).
ROUND_CASES = (
    "native local_ratelimit again",
    "weir native",
    "weir native refusing",
    "empty module",
    "empty module refusing",
)


def envoy_rounds(envoy: Dict[str, float]) -> List[str]:
    """The per-round ratios behind the module's bars, beside the baseline's
    ratio to itself: how far apart two runs of one filter land here."""
    shown = [c for c in ROUND_CASES if f"{c} rps per round" in envoy]
    if not shown:
        return []
    out = [
        "",
        "## Envoy: each round's ratio, and the baseline against itself",
        "",
        "Each round runs `local_ratelimit` and then the cases held to it, each in a fresh Envoy.",
        "`native local_ratelimit again` is the baseline measured a second time as a case of its",
        "own: its ratios are the measurement's own spread, which a bar's margin has to clear.",
        "`empty module` is the floor of any dynamic module: every hook a no-op, refusing with",
        "weir's 429 from constants; what weir adds is its distance to that row.",
        "",
        "| case | req/s x native, median of rounds | rounds min-max | p99 x native, median of rounds "
        "| rounds min-max |",
        "|---|---:|---:|---:|---:|",
    ]

    def span(case: str, what: str) -> str:
        lo, hi = envoy.get(f"{case} {what} per round min"), envoy.get(f"{case} {what} per round max")
        return f"{lo:.3f}-{hi:.3f}" if lo is not None and hi is not None else "–"

    for c in shown:
        out.append(
            f"| {c} | {envoy[f'{c} rps per round']:.3f} | {span(c, 'rps')} | "
            f"{envoy[f'{c} p99 per round']:.3f} | {span(c, 'p99')} |"
        )
    return out


def instructions(counted: Dict[str, float]) -> List[str]:
    """Envoy's instructions per request by case (`benches/envoy/instructions.py`)."""
    if not counted:
        return []
    out = [
        "",
        "## Envoy's instructions per request (counted, not timed)",
        "",
        "Envoy `--concurrency 1` under callgrind for a fixed wrk run, user-space instructions per",
        "request: what each filter costs Envoy, in figures a busy machine does not move (the",
        "kernel's share, the sockets, is the same in every case).",
        "",
        "| case | instructions/request | x native local_ratelimit on the same path |",
        "|---|---:|---:|",
    ]
    for case, n in counted.items():
        base = counted.get("native local_ratelimit refusing" if "refusing" in case else "native local_ratelimit")
        out.append(f"| {case} | {n:,.0f} | {n / base:.3f} |" if base else f"| {case} | {n:,.0f} | – |")
    return out


def main() -> None:
    src = Path(sys.argv[1])
    dest = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / "REPORT.md"
    cases: Cases = {}
    for f in sorted(src.glob("*.txt")):
        if f.stem != "meta":
            cases[f.stem] = parse(f.stem, f.read_text(errors="replace"))
    meta = (src / "meta.txt").read_text() if (src / "meta.txt").exists() else ""
    results = rows(cases)
    dest.write_text(markdown(cases, meta, results))
    (dest.parent / "report").mkdir(parents=True, exist_ok=True)
    (dest.parent / "report" / "ratios.svg").write_text(svg(results))
    for b, r in results:
        status = "not measured" if r is None else f"{r[2]:.3f} ({'met' if b.met(r[2]) else 'MISSED'} {b.op} {b.limit:g})"
        print(f"issue {b.issue}: {b.what} vs {b.anchor}: {status}")


if __name__ == "__main__":
    main()
