"""host/tests/vectors/limiter-units.json: Limiter's units become the same
kernel config as in every runtime (1/3 per second is 3 s exactly)."""

from __future__ import annotations

import json
import math
import pathlib
from typing import Any, Dict, List

import pytest

import weir

UNITS = pathlib.Path(__file__).resolve().parents[3] / "host" / "tests" / "vectors" / "limiter-units.json"


def _number(v: Any) -> float:
    return {"NaN": math.nan, "inf": math.inf, "-inf": -math.inf}[v] if isinstance(v, str) else v


def _cases() -> List[Dict[str, Any]]:
    cases: List[Dict[str, Any]] = json.loads(UNITS.read_text())["cases"]
    assert len(cases) >= 20
    return cases


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["name"])
def test_limiter_units(case: Dict[str, Any]) -> None:
    kwargs: Dict[str, Any] = {"per": weir.Nanos(case["per_ns"])}
    if "burst" in case:
        kwargs["burst"] = _number(case["burst"])
    if "error" in case:
        with pytest.raises(weir.ConfigError) as e:
            weir.Limiter(_number(case["rate"]), **kwargs)
        assert (e.value.field, e.value.rule) == (case["error"]["field"], case["error"]["rule"])
        return
    limiter = weir.Limiter(_number(case["rate"]), **kwargs)
    assert limiter.interval_ns == case["interval_ns"]
    assert limiter.burst == case["config"]["burst"]
