"""weir.Policy: the Envoy filter's policy document run in this process."""

from __future__ import annotations

import json
import pathlib
import threading
from typing import Any, Dict, List, Optional

import pytest

import weir

ROOT = pathlib.Path(__file__).resolve().parents[3]
VECTORS = ROOT / "policy" / "tests" / "vectors"
EXAMPLE = ROOT / "examples" / "policy.json"
MS = 1_000_000


def policy_vectors() -> List[Dict[str, Any]]:
    out = []
    for path in sorted(VECTORS.glob("*.json")):
        v = json.loads(path.read_text())
        v["_file"] = path.name
        out.append(v)
    return out


def _check(policy: weir.Policy, step: Dict[str, Any], ctx: str) -> weir.Verdict:
    r = step["request"]
    headers = {k: str(v) for k, v in (r.get("headers") or {}).items()}
    v = policy.check(
        r.get("method", "GET"), r.get("path", "/"), headers, r.get("client_address"), key=r.get("key"), now=step["at"]
    )
    expect = step["expect"]
    assert v.status == expect["status"], f"{ctx}: {v!r}"
    assert v.admitted == (expect["status"] == 200), ctx
    if not v.admitted:
        assert v.body == expect.get("body", f'weir: {v.reason} by rule "{v.rule}"\n'), ctx
    for field in ("reason", "rule"):
        if field in expect:
            assert getattr(v, field) == expect[field], f"{ctx}: {field}"
    got_headers = dict(v.headers)
    for name, want in (expect.get("headers") or {}).items():
        assert got_headers.get(name) == str(want), f"{ctx}: header {name}: {v.headers}"
    sent = dict(v.request_headers)
    for name, want in (expect.get("request_headers") or {}).items():
        assert sent.get(name) == str(want), f"{ctx}: request header {name}: {v.request_headers}"
    if "upstream" in expect:
        assert v.upstream == expect["upstream"], ctx
    return v


def _report(v: weir.Verdict, r: Dict[str, Any], at: int) -> None:
    latency = weir.Nanos(r["latency"]) if "latency" in r else None
    v.report(r.get("status"), grpc_status=r.get("grpc_status"), cpu=r.get("cpu"), latency=latency, now=at)


@pytest.mark.parametrize("vector", policy_vectors(), ids=lambda v: v["_file"])
def test_policy_vectors_replay(vector: Dict[str, Any]) -> None:
    assert vector["kind"] == "policy"
    policy = weir.Policy(vector["policy"], now=0, seed=1)
    held: Dict[str, weir.Verdict] = {}
    for i, step in enumerate(vector["steps"]):
        ctx = f"{vector['_file']} step {i}"
        if step["op"] == "check":
            v = _check(policy, step, ctx)
            if "respond" in step:
                _report(v, step["respond"], step["at"])
            elif "id" in step:
                held[step["id"]] = v
        elif step["op"] == "respond":
            _report(held.pop(step["id"]), step, step["at"])
        elif step["op"] == "reset":
            held.pop(step["id"]).report(None, now=step["at"])
        else:
            raise AssertionError(f"{ctx}: unknown op {step['op']}")
    counters = policy.counters()
    for name, want in (vector.get("counters") or {}).items():
        assert counters.get(name) == want, f"{vector['_file']}: counter {name}"


def test_the_vectors_include_a_refusal_that_teaches_nothing() -> None:
    assert "refusal-teaches-nothing.json" in [v["_file"] for v in policy_vectors()]


def test_the_example_policy_loads_unchanged() -> None:
    policy = weir.Policy.from_file(EXAMPLE)
    assert policy.rules == ["per_client", "export", "per_user", "service"]
    verdicts = [
        policy.check("GET", "/api/items", {"X-Tenant": "acme"}, "10.0.0.1:5000", key="alice", now=0) for _ in range(11)
    ]
    assert [v.admitted for v in verdicts] == [True] * 10 + [False]
    refused = verdicts[-1]
    assert (refused.status, refused.reason, refused.rule) == (429, "rate_limited", "per_user")
    assert refused.retry_after == 1.0
    first = verdicts[0]
    assert dict(first.headers)["x-ratelimit-remaining"] == "39", "per_client's headers_on_success"
    assert first.upstream in ("service_a", "service_b")
    assert dict(first.request_headers)["x-weir-cluster"] == first.upstream
    assert first.deadline == pytest.approx(1.95)
    first.report(200, latency=0.003)


def test_errors_name_the_rule_and_the_field() -> None:
    with pytest.raises(weir.PolicyError) as e:
        weir.Policy({"rules": [{"name": "api", "limit": [{"rate": 5}, {"rate": 5, "key": "tenant"}]}]})
    assert e.value.rule == 'rule #1 "api"'
    assert e.value.field == "limit[1].key"
    assert '"tenant"' in str(e.value)
    assert isinstance(e.value, weir.ConfigError) and isinstance(e.value, ValueError)
    with pytest.raises(weir.PolicyError, match="stats_flush"):
        weir.Policy('{"rules": [{"name": "a", "limit": {"rate": 1}}], "stats_flush": "0s"}')
    with pytest.raises(OSError, match="nowhere.json"):
        weir.Policy.from_file("/nowhere.json")
    with pytest.raises(TypeError, match="key must be str or bytes"):
        weir.Policy({"rules": [{"name": "a", "limit": {"rate": 1}}]}).check(key=3)


def test_a_reload_keeps_unchanged_limits_and_refuses_a_bad_document() -> None:
    doc = {"rules": [{"name": "a", "limit": {"rate": 1, "per": "1h"}}]}
    policy = weir.Policy(doc, now=0, seed=1)
    assert policy.check(now=0).admitted
    assert not policy.check(now=0).admitted
    policy.replace(json.dumps(doc), now=MS)
    assert not policy.check(now=MS).admitted, "a reload grants no burst"
    with pytest.raises(weir.PolicyError, match="limit.rate"):
        policy.replace({"rules": [{"name": "a", "limit": {"rate": 0}}]})
    assert not policy.check(now=2 * MS).admitted, "the old policy still serves"
    policy.replace({"rules": [{"name": "a", "limit": {"rate": 2, "per": "1h"}}]}, now=3 * MS)
    assert policy.check(now=3 * MS).admitted, "a changed limit starts fresh"


def test_threads_share_one_limit_exactly() -> None:
    policy = weir.Policy({"rules": [{"name": "r", "limit": {"rate": 500, "per": "1h"}}]})
    admitted: List[int] = []

    def run() -> None:
        admitted.append(sum(policy.check("GET", "/").admitted for _ in range(200)))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) == 500


def test_a_grpc_failure_reaches_the_throttle() -> None:
    policy = weir.Policy({"rules": [{"name": "t", "throttle": {"max_reject_probability": 0, "grpc_failures": [14]}}]})
    for grpc in (14, 0, None):
        policy.check("POST", "/svc/M").report(200, grpc_status=grpc)
    assert policy.counters()["weir.t.upstream_failures"] == 1


def test_an_answer_marked_no_retry_does_not_open_the_breaker() -> None:
    policy = weir.Policy({"rules": [{"name": "b", "breaker": {"consecutive_failures": 1}}]}, now=0)
    for i in range(3):
        v = policy.check(now=i)
        assert v.admitted, i
        v.report(503, no_retry=True, now=i)
    assert policy.counters()["weir.b.breaker_no_retry"] == 3
    policy.check(now=10).report(503, now=10)
    refused = policy.check(now=11)
    assert (refused.status, refused.reason, dict(refused.headers)["x-weir-no-retry"]) == (503, "breaker_open", "1")
