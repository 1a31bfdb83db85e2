"""The recorded trace policy/tests/traces/example-trace.json through
examples/envoy/envoy.yaml: each request's status, refusing rule and headers
as the trace (and the Python, Node and Go bindings on examples/policy.json)
have them. Envoy sees every request from 127.0.0.1, the trace's client."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from harness import ROOT, Envoy, Upstream
from test_example_bootstrap import _example

TRACE = json.loads((ROOT / "policy/tests/traces/example-trace.json").read_text())


def _send(port: int, method: str, path: str, headers: dict) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _mismatch(status: int, headers: dict, body: bytes, expect: dict) -> str | None:
    if status != expect["status"]:
        return f"status {status}, want {expect['status']}"
    if status == 200:
        if body != b"upstream\n":
            return f"body {body!r}: not the upstream's"
    else:
        want_body = f'weir: {expect["reason"]} by rule "{expect["rule"]}"\n'.encode()
        if body != want_body:
            return f"body {body!r}, want {want_body!r}"
    for name, want in expect["headers"].items():
        if headers.get(name) != want:
            return f"header {name} {headers.get(name)!r}, want {want!r}"
    return None


def test_the_example_bootstrap_reaches_the_traces_verdicts() -> None:
    assert TRACE["policy"] == "examples/policy.json", "the policy examples/envoy/envoy.yaml embeds"
    a, b = Upstream(), Upstream()
    a.status = b.status = TRACE["outcome"]["status"]
    try:
        with Envoy(_example(a.port, b.port)) as envoy:
            problems = []
            for i, step in enumerate(TRACE["requests"]):
                r = step["request"]
                status, headers, body = _send(envoy.port, r["method"], r["path"], r["headers"])
                problem = _mismatch(status, headers, body, step["expect"])
                if problem:
                    problems.append(f"request {i} {r['path']}: {problem} ({headers})")
            assert not problems, "\n".join(problems)
            admitted = sum(1 for s in TRACE["requests"] if s["expect"]["status"] == 200)
            assert a.hits + b.hits == admitted
    finally:
        a.close()
        b.close()
