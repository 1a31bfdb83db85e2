"""A Prometheus collector for `prometheus_client` exporting a policy's
counters under the names Envoy's `/stats/prometheus` gives the filter's:
`weir.<rule>.<outcome>` becomes `weir_<outcome>{weir_rule="<rule>"}`
(`weir.<rule>.picked.<cluster>` becomes `weir_picked_<cluster>`), as with
the `weir_rule` stats tag of examples/envoy/envoy.yaml.

    prometheus_client.REGISTRY.register(weir.prometheus.PolicyCollector(policy))

The counters are read on scrape; nothing is added to a request's path."""

from __future__ import annotations

import re
from typing import Any, Dict, Iterator, Tuple

from ._policy import Policy

# The filter's stats tag regex, without Envoy's `wasmcustom.` namespace.
_COUNTER = re.compile(r"^weir\.(.+?)\.([a-z_]+|picked\..+)$")
_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(counter: str) -> Tuple[str, str]:
    """(Prometheus name, rule) of a policy counter, as Envoy exports it."""
    found = _COUNTER.match(counter)
    if found is None:
        return _UNSAFE.sub("_", counter), ""
    return "weir_" + _UNSAFE.sub("_", found.group(2)), found.group(1)


class PolicyCollector:
    """Yields one counter family per outcome, one sample per rule."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import Metric

        families: Dict[str, Any] = {}
        for counter, value in self.policy.counters().items():
            name, rule = metric_name(counter)
            family = families.get(name)
            if family is None:
                # Untyped: prometheus_client writes a counter's family as `<name>_total`,
                # and the names must stay Envoy's.
                family = families[name] = Metric(name, f"weir policy counter {name[5:]}, per rule", "unknown")
            family.add_sample(name, {"weir_rule": rule} if rule else {}, float(value))
        yield from families.values()

    def describe(self) -> Iterator[Any]:
        # Families depend on the policy in place (it can be replaced): none up front.
        return iter(())


__all__ = ["PolicyCollector", "metric_name"]
