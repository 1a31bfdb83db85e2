"""Every conformance vector of every primitive the package exposes."""

from __future__ import annotations

import collections
from typing import Any, Dict

import pytest

from weir import _testing

from conftest import vectors

# Lease vectors drive core's lease planner, which the package only reaches
# through FleetLimiter (its planner runs inside weir-fleet's refill thread).
NOT_EXPOSED = {"lease"}
ALL = vectors()
EXPOSED = [v for v in ALL if v["primitive"] not in NOT_EXPOSED]


def test_every_vector_primitive_is_replayed_or_named() -> None:
    seen = {v["primitive"] for v in ALL}
    assert seen - NOT_EXPOSED <= set(_testing.PRIMITIVES), seen - set(_testing.PRIMITIVES)
    counts = collections.Counter(v["primitive"] for v in EXPOSED)
    assert counts["limiter"] >= 10 and counts["shedder"] >= 10, counts


@pytest.mark.parametrize("vector", EXPOSED, ids=[v["_file"] for v in EXPOSED])
def test_vector(vector: Dict[str, Any]) -> None:
    _testing.replay(vector)


def test_a_wrong_expectation_is_caught() -> None:
    v = next(v for v in EXPOSED if v["_file"] == "limiter-burst-exhaustion.json")
    broken = {**v, "steps": [dict(s) for s in v["steps"]]}
    first = dict(broken["steps"][0])
    first["expect"] = {**first.get("expect", {}), "reason": "rate_limited"}
    broken["steps"][0] = first
    with pytest.raises(AssertionError):
        _testing.replay(broken)
