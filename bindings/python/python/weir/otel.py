"""An OpenTelemetry metrics bridge (the `opentelemetry-api` package only; the
application brings the SDK and its exporter).

`PolicyMetrics` observes a policy's counters under the names and labels the
Envoy filter's counters have in Prometheus (the `weir_rule` stats tag of
examples/envoy/envoy.yaml): `weir.<rule>.<outcome>` is the observable counter
`weir_<outcome>` with the attribute `weir_rule="<rule>"`, and
`weir.<rule>.picked.<cluster>` is `weir_picked_<cluster>`.

`DecisionMetrics` observes the decisions of weir primitives by reason, from
their `stats()["decisions"]`: `weir_decisions{weir_primitive="<name>",
reason="<reason>"}`.

    meter = opentelemetry.metrics.get_meter("weir")
    weir.otel.PolicyMetrics(policy, meter)
    decisions = weir.otel.DecisionMetrics(meter)
    decisions.add("login", login_limiter)

Values are read from snapshots (`counters()`, `stats()`) when the SDK
collects; nothing is added to a decision's path."""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, List, Optional, Protocol, Tuple

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from ._policy import Policy
from .prometheus import metric_name

RULE = "weir_rule"
PRIMITIVE = "weir_primitive"
REASON = "reason"


class PolicyMetrics:
    """One observable counter per outcome, one point per rule; a counter the
    policy gains from `Policy.replace` is observed after `refresh()`."""

    def __init__(self, policy: Policy, meter: Optional[Meter] = None) -> None:
        self.policy = policy
        self._meter = meter if meter is not None else metrics.get_meter("weir")
        self._names: Dict[str, Any] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.refresh()

    def refresh(self) -> List[str]:
        """Creates the instruments of counters not yet observed; returns every
        instrument name."""
        with self._lock:
            for counter in self.policy.counters():
                name, _ = metric_name(counter)
                if name not in self._names:
                    self._names[name] = self._meter.create_observable_counter(
                        name,
                        callbacks=[self._callback(name)],
                        description=f"weir policy counter {name[5:]}, per rule",
                    )
            return list(self._names)

    def _callback(self, name: str) -> Any:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            if self._closed:
                return []
            points = []
            for counter, value in self.policy.counters().items():
                family, rule = metric_name(counter)
                if family == name:
                    points.append(Observation(value, {RULE: rule} if rule else {}))
            return points

        return observe

    def close(self) -> None:
        """Stops observing: the OpenTelemetry API cannot remove an instrument,
        so its callbacks report nothing from now on."""
        self._closed = True


class HasStats(Protocol):
    def stats(self) -> Dict[str, Any]: ...


class DecisionMetrics:
    """`weir_decisions{weir_primitive, reason}`: every primitive added, by the
    reasons its `stats()["decisions"]` counts."""

    def __init__(self, meter: Optional[Meter] = None) -> None:
        self._meter = meter if meter is not None else metrics.get_meter("weir")
        self._primitives: Dict[str, HasStats] = {}
        self._lock = threading.Lock()
        self._meter.create_observable_counter(
            "weir_decisions",
            callbacks=[self._observe],
            description="weir primitive decisions, per primitive and reason",
        )

    def add(self, name: str, primitive: HasStats) -> None:
        """Observes `primitive` (a Limiter, KeyedLimiter, Shedder, Throttle,
        CircuitBreaker, ...) as `weir_primitive=name`."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"DecisionMetrics.add: name must be a non-empty string, got {name!r}")
        decisions = primitive.stats().get("decisions") if callable(getattr(primitive, "stats", None)) else None
        if not isinstance(decisions, dict):
            raise TypeError(
                f"DecisionMetrics.add: primitive must have stats() with a 'decisions' dict, got {type(primitive).__name__}"
            )
        with self._lock:
            self._primitives[name] = primitive

    def remove(self, name: str) -> None:
        with self._lock:
            self._primitives.pop(name, None)

    def _observe(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            primitives: List[Tuple[str, HasStats]] = list(self._primitives.items())
        points = []
        for name, primitive in primitives:
            for reason, count in primitive.stats().get("decisions", {}).items():
                points.append(Observation(int(count), {PRIMITIVE: name, REASON: reason}))
        return points


__all__ = ["DecisionMetrics", "PolicyMetrics"]
