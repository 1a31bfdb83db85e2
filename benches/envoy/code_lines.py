"""What a dynamic module's own code costs Envoy per request, read from a
callgrind dump taken with --cache-sim=yes --dump-instr=yes.

Envoy's work between two requests evicts everything a module touched from
L1, so each 64-byte line of module code a request runs is a miss on every
request: the count of those lines is the figure a code layout moves, and
instructions alone do not show it. A line counts as touched per request
when one of its instructions ran at least once per two requests (lines a
refusal lays out once a second do not count).
"""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

# The shared objects whose code is counted: weir's module and the floor.
MODULES = ("libweir_envoy", "libempty_module")
LINE = 64
# Events as callgrind writes them with the cache simulation on.
EVENTS = ("Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")
NAMED = re.compile(r"^(c?ob|c?fl|fi|fe|c?fn|cfi)=(?:\((\d+)\))?\s*(.*)$")


def per_instruction(dump: Path) -> dict[int, list[int]]:
    """Self cost per instruction address of the module objects, summed
    over functions. Call lines (`calls=` and the line after it) carry a
    callee's inclusive cost and are skipped, though their positions still
    anchor the relative addresses that follow them."""
    names: dict[str, dict[str, str]] = defaultdict(dict)
    obj = ""
    last = [0, 0]
    after_call = False
    cost: dict[int, list[int]] = defaultdict(lambda: [0] * len(EVENTS))
    for raw in dump.read_text(errors="replace").splitlines():
        if not raw:
            continue
        named = NAMED.match(raw)
        if named:
            kind, ident, name = named.groups()
            space = kind.lstrip("c")[:2] if kind not in ("fi", "fe", "cfi") else "fl"
            if ident and name:
                names[space][ident] = name
            if kind == "ob":
                obj = names[space].get(ident, name) if ident else name
            continue
        if raw.startswith("calls="):
            after_call = True
            continue
        if not (raw[0].isdigit() or raw[0] in "+-*"):
            continue
        fields = raw.split()
        for i in range(2):
            field = fields[i]
            if field == "*":
                continue
            if field[0] in "+-":
                delta = int(field[1:], 0)
                last[i] += delta if field[0] == "+" else -delta
            else:
                last[i] = int(field, 0)
        if after_call:
            after_call = False
            continue
        if any(m in obj for m in MODULES):
            totals = cost[last[0]]
            for i, v in enumerate(fields[2:]):
                totals[i] += int(v)
    return cost


def module_cost(dump: Path, requests: int) -> dict[str, float]:
    """Per request: the module's code lines touched, its instructions and
    its L1 misses (instruction, data read, data write)."""
    cost = per_instruction(dump)
    hottest: dict[int, int] = defaultdict(int)
    for address, c in cost.items():
        hottest[address // LINE] = max(hottest[address // LINE], c[0])
    per = max(requests, 1)
    total = [sum(c[i] for c in cost.values()) / per for i in range(len(EVENTS))]
    return {
        "code lines": sum(1 for runs in hottest.values() if runs * 2 >= per),
        "instructions": total[EVENTS.index("Ir")],
        "I1 misses": total[EVENTS.index("I1mr")],
        "D1 read misses": total[EVENTS.index("D1mr")],
        "D1 write misses": total[EVENTS.index("D1mw")],
    }
