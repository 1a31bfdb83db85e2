"""weir's counters through OpenTelemetry: examples/policy.json decides eight
requests to /api/export from one client (its `export` rule allows 5 a
minute), and the SDK's collection shows them under the filter's names.

    pip install 'weir[otel]' opentelemetry-sdk
    python otel_metrics.py

An application gives the MeterProvider its exporter (OTLP, Prometheus); the
in-memory reader here prints what any exporter would be handed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, Sum

import weir
import weir.otel


def lines(reader: InMemoryMetricReader) -> List[str]:
    """One `name{weir_rule="rule"} value` line per point, sorted."""
    out = []
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if not isinstance(metric.data, Sum):
                    continue
                for point in metric.data.data_points:
                    labels = ",".join(k + '="' + str(v) + '"' for k, v in sorted((point.attributes or {}).items()))
                    out.append(f"{metric.name}{{{labels}}} {point.value}")
    return sorted(out)


def main() -> None:
    path = os.environ.get("WEIR_POLICY") or str(Path(__file__).resolve().parent.parent / "policy.json")
    policy = weir.Policy.from_file(path)
    reader = InMemoryMetricReader()
    weir.otel.PolicyMetrics(policy, MeterProvider(metric_readers=[reader]).get_meter("weir"))
    for _ in range(8):
        verdict = policy.check("GET", "/api/export", client_address="10.0.0.1:5000")
        print(f"GET /api/export -> {verdict.status} {verdict.reason}")
        if verdict.admitted:
            verdict.report(200)
    for line in lines(reader):
        print(line)


if __name__ == "__main__":
    main()
