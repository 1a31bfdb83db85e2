"""`weir.Policy`: the Envoy filter's policy document (rules that match,
key, limit, set deadlines, throttle, shed and pick), run in this process by
the same engine. Load it once, then per request:

    verdict = policy.check("GET", "/api/items", headers, client_address, key=user_id)
    if not verdict.admitted:
        return Response(verdict.body, verdict.status, verdict.headers)
    ...  # handle the request, then:
    verdict.report(status)          # teaches the throttle, shedder and picker

A verdict dropped without a report is taken back by the learners that let
it through, as if weir had answered it."""

from __future__ import annotations

from ._errors import ConfigError
from ._weir import Policy, Verdict


class PolicyError(ConfigError):
    """A policy document broke a rule: `rule` is `rule #N "name"` (empty
    for a top-level field), `field` the dotted field (`limit[1].rate`)."""

    def __init__(self, message: str, field: str, rule: str, problem: str) -> None:
        super().__init__(message, field, field, rule)
        self.problem = problem


__all__ = ["Policy", "PolicyError", "Verdict"]
