"""The report's bar chart, as plain SVG: for each bar, how far weir is from
it (measured / bar on a log scale, so 1 is the bar itself and left of it is
met), with the raw ratio written beside the bar."""
from __future__ import annotations

import math
from html import escape
from typing import List, Optional, Tuple

from bars import Bar

LO, HI = 0.01, 10.0
LEFT, WIDTH, ROW, TOP = 500, 440, 24, 50


def x(v: float) -> float:
    v = min(max(v, LO), HI)
    return LEFT + WIDTH * (math.log10(v) - math.log10(LO)) / (math.log10(HI) - math.log10(LO))


def svg(results: List[Tuple[Bar, Optional[Tuple[float, float, float]]]]) -> str:
    h = TOP + ROW * len(results) + 50
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LEFT + WIDTH + 120}" height="{h}" '
        'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="20" font-size="15">weir / anchor, divided by the bar (1 = exactly the bar; left of it = met)</text>',
    ]
    for tick in (0.01, 0.03, 0.1, 0.3, 1, 3, 10):
        out.append(f'<line x1="{x(tick):.1f}" y1="{TOP - 8}" x2="{x(tick):.1f}" y2="{h - 40}" '
                   f'stroke="{"black" if tick == 1 else "#ddd"}" stroke-width="{2 if tick == 1 else 1}"/>')
        out.append(f'<text x="{x(tick):.1f}" y="{h - 24}" text-anchor="middle">{tick:g}</text>')
    for i, (b, r) in enumerate(results):
        y = TOP + i * ROW
        label = f"#{b.issue} {b.what} vs {b.anchor}"
        out.append(f'<text x="{LEFT - 8}" y="{y + 15}" text-anchor="end">{escape(label[:80])}</text>')
        if r is None:
            out.append(f'<text x="{LEFT + 4}" y="{y + 15}" fill="#888">not measured</text>')
            continue
        slack = b.slack(r[2])
        color = "#2ca02c" if b.met(r[2]) else "#d62728"
        out.append(f'<rect x="{LEFT}" y="{y + 4}" width="{max(x(slack) - LEFT, 1):.1f}" height="{ROW - 8}" fill="{color}"/>')
        out.append(f'<text x="{x(slack) + 4:.1f}" y="{y + 15}">{escape(f"{r[2]:.3g} ({b.op} {b.limit:g})")}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
