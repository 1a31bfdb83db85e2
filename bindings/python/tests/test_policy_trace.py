"""examples/policy.json, loaded unchanged, on the recorded trace that real
Envoy replays too (policy/tests/traces/example-trace.json): every verdict
the same as the proxy's."""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict

import weir

ROOT = pathlib.Path(__file__).resolve().parents[3]
TRACE = json.loads((ROOT / "policy" / "tests" / "traces" / "example-trace.json").read_text())


def _assert_verdict(v: weir.Verdict, expect: Dict[str, Any], ctx: str) -> None:
    assert v.status == expect["status"], f"{ctx}: {v!r}"
    assert v.admitted == (expect["status"] == 200), ctx
    if not v.admitted:
        assert (v.reason, v.rule) == (expect["reason"], expect["rule"]), f"{ctx}: {v!r}"
        assert v.body == f'weir: {expect["reason"]} by rule "{expect["rule"]}"\n', ctx
    headers = dict(v.headers)
    for name, want in expect["headers"].items():
        assert headers.get(name) == want, f"{ctx}: header {name}: {v.headers}"


def test_the_example_policy_reaches_the_traces_verdicts() -> None:
    policy = weir.Policy.from_file(str(ROOT / TRACE["policy"]))
    for i, step in enumerate(TRACE["requests"]):
        r = step["request"]
        v = policy.check(r["method"], r["path"], r["headers"], r["client_address"])
        _assert_verdict(v, step["expect"], f"request {i} {r['path']}")
        if v.admitted:
            # What the upstream behind Envoy answers, so the learners agree.
            v.report(TRACE["outcome"]["status"])
