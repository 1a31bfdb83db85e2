"""weir.otel: a policy's counters and primitives' decisions through the
OpenTelemetry SDK's in-memory reader, after a known number of decisions."""

from __future__ import annotations

from typing import Any, Dict, Tuple

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, Sum

import weir
import weir.otel

Points = Dict[str, Dict[Tuple[Tuple[str, Any], ...], int]]


def collect(reader: InMemoryMetricReader) -> Points:
    data = reader.get_metrics_data()
    out: Points = {}
    if data is None:  # nothing observed at all
        return out
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                assert isinstance(metric.data, Sum) and metric.data.is_monotonic, metric.name
                out[metric.name] = {
                    tuple(sorted((p.attributes or {}).items())): int(p.value) for p in metric.data.data_points
                }
    return out


def test_the_filters_names_and_rules_after_known_decisions() -> None:
    policy = weir.Policy(
        {
            "rules": [
                {"name": "per_client", "limit": {"rate": 3, "per": "1h", "key": "client_address"}},
                {"name": "service", "deadline": {"timeout": "1s"}, "pick": {"clusters": ["a", "b"]}},
            ]
        }
    )
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("weir")
    bridge = weir.otel.PolicyMetrics(policy, meter)
    for _ in range(5):
        verdict = policy.check("GET", "/", client_address="10.0.0.1:4000")
        verdict.report(200)
    points = collect(reader)
    rule = lambda name: (("weir_rule", name),)  # noqa: E731
    assert points["weir_admitted"] == {rule("per_client"): 3}
    assert points["weir_limited"] == {rule("per_client"): 2}
    assert points["weir_state_error"] == {rule("per_client"): 0}
    assert points["weir_deadline_set"] == {rule("service"): 3}
    assert points["weir_picked_a"][rule("service")] + points["weir_picked_b"][rule("service")] == 3

    # A replaced policy's new counters are observed after refresh().
    policy.replace({"rules": [{"name": "guard", "shed": {"max_in_flight": 10}}]})
    assert "weir_shed_passed" in bridge.refresh()
    policy.check("GET", "/").report(200)
    assert collect(reader)["weir_shed_passed"] == {rule("guard"): 1}
    bridge.close()
    assert "weir_shed_passed" not in collect(reader)


def test_primitives_decisions_by_reason() -> None:
    reader = InMemoryMetricReader()
    decisions = weir.otel.DecisionMetrics(MeterProvider(metric_readers=[reader]).get_meter("weir"))
    limiter = weir.Limiter(rate=4, per=3600)
    decisions.add("login", limiter)
    for _ in range(7):
        limiter.try_acquire()
    points = collect(reader)["weir_decisions"]
    assert points[(("reason", "admitted"), ("weir_primitive", "login"))] == 4
    assert points[(("reason", "rate_limited"), ("weir_primitive", "login"))] == 3
    with pytest.raises(TypeError, match="stats\\(\\) with a 'decisions' dict"):
        decisions.add("nothing", object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name must be a non-empty string, got ''"):
        decisions.add("", limiter)
    decisions.remove("login")
    assert not collect(reader).get("weir_decisions")
