"""A Hedger given `budget=` spends the RetryBudget `weir.retry` spends:
whichever spends first leaves nothing to the other."""

from __future__ import annotations

import asyncio
import gc
import re
import subprocess
import sys
from pathlib import Path

import pytest

import weir


def shared_budget() -> weir.RetryBudget:
    """Half a retry per call over an hour, nothing falling out of the window
    during a test: after this one deposit, a hedged request or a retried
    call (each depositing one more) leaves room for exactly one retry."""
    budget = weir.RetryBudget(ratio=0.5, min_per_second=0, window=3600, buckets=60)
    budget.deposit()
    return budget


async def slow_first_copy(attempt: weir.Attempt[None]) -> int:
    """A hedge answers at once; the first copy after 20 ms."""
    if attempt.number == 0:
        await asyncio.sleep(0.02)
    return attempt.number


def test_a_hedge_spends_the_budget_a_retry_needs() -> None:
    budget = shared_budget()
    hedger = weir.Hedger(ceiling=0.001, budget=budget)
    assert asyncio.run(weir.hedged(hedger, slow_first_copy)) == 1
    assert hedger.stats()["hedges"] == 1
    calls = 0

    @weir.retry(budget=budget, base=0.001, cap=0.001)
    def fails() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    with pytest.raises(weir.RetryExhausted) as e:
        fails()
    assert (e.value.reason, calls) == ("budget_exhausted", 1)
    stats = budget.stats()
    assert (stats["requests"], stats["retries"]) == (3, 1)
    assert (hedger.stats()["budget_requests"], hedger.stats()["budget_retries"]) == (3, 1)


def test_a_retry_spends_the_budget_a_hedge_needs() -> None:
    budget = shared_budget()
    hedger = weir.Hedger(ceiling=0.001, budget=budget)
    calls = 0

    @weir.retry(budget=budget, base=0.001, cap=0.001)
    def fails_once() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return "ok"

    assert (fails_once(), calls) == ("ok", 2)
    assert asyncio.run(weir.hedged(hedger, slow_first_copy)) == 0
    stats = hedger.stats()
    assert (stats["hedges"], stats["refused_budget"]) == (0, 1)


def test_the_hedger_keeps_the_budget_alive() -> None:
    hedger = weir.Hedger(ceiling=0.001, budget=shared_budget())
    gc.collect()
    assert asyncio.run(weir.hedged(hedger, slow_first_copy)) == 1
    assert asyncio.run(weir.hedged(hedger, slow_first_copy)) == 0
    stats = hedger.stats()
    assert (stats["hedges"], stats["refused_budget"], stats["budget_requests"]) == (1, 1, 3)


def test_a_shared_budget_refuses_budget_arguments_beside_it() -> None:
    with pytest.raises(weir.ConfigError) as e:
        weir.Hedger(budget=weir.RetryBudget(), budget_ratio=0.2)
    assert e.value.field == "budget"
    assert "budget_ratio=0.2" in str(e.value) and "budget must be given without budget_ratio" in str(e.value)
    with pytest.raises(TypeError, match="budget must be a weir.RetryBudget, got dict"):
        weir.Hedger(budget={"ratio": 0.2})  # type: ignore[arg-type]


def test_the_readme_example_runs_as_printed() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    example = next(b for b in blocks if "weir.Hedger(ceiling=0.02, budget=budget)" in b)
    printed = re.search(r"^print\(.*\)  # (.*)$", example, re.M)
    assert printed is not None
    run = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.strip() == printed.group(1)
