"""Constructors refuse bad input with ValueError / TypeError naming the field."""

from __future__ import annotations

from typing import Any, Callable, Type

import pytest

import weir

CASES = [
    # (build, exception, field named in the message)
    (lambda: weir.Limiter(0), weir.ConfigError, "rate"),
    (lambda: weir.Limiter(-5), ValueError, "rate"),
    (lambda: weir.Limiter("10"), TypeError, "rate"),
    (lambda: weir.Limiter(float("nan")), ValueError, "rate"),
    (lambda: weir.Limiter(10, burst=0), weir.ConfigError, "burst"),
    (lambda: weir.Limiter(10, burst=-1), ValueError, "burst"),
    (lambda: weir.Limiter(10, burst=1.5), weir.ConfigError, "burst"),
    (lambda: weir.Limiter(10, per=0), weir.ConfigError, "per"),
    (lambda: weir.Limiter(10, per=-1.0), ValueError, "per"),
    (lambda: weir.Limiter(10, per=float("inf")), ValueError, "per"),
    (lambda: weir.Limiter(10, per="1s"), TypeError, "per"),
    (lambda: weir.Limiter(10, per=True), TypeError, "per"),
    (lambda: weir.Limiter(10**12, per=weir.Nanos(1)), weir.ConfigError, "rate"),
    (lambda: weir.Limiter(2, per=weir.Nanos(2**63), burst=2**62), weir.ConfigError, "burst"),
    (lambda: weir.Limiter(10, burst=2**64), ValueError, "burst"),
    (lambda: weir.KeyedLimiter(10, capacity=0), weir.ConfigError, "capacity"),
    (lambda: weir.KeyedLimiter(10, capacity=2**40), weir.ConfigError, "capacity"),
    (lambda: weir.KeyedLimiter(10).try_acquire(42), TypeError, "key"),
    (lambda: weir.ConcurrencyLimiter(0), weir.ConfigError, "max_in_flight"),
    (lambda: weir.Shedder(buckets=0), weir.ConfigError, "buckets"),
    (lambda: weir.Shedder(buckets=129), weir.ConfigError, "buckets"),
    (lambda: weir.Shedder(cpu_threshold=1001), weir.ConfigError, "cpu_threshold"),
    (lambda: weir.Shedder(cpu_decay=1.0), weir.ConfigError, "cpu_decay"),
    (lambda: weir.Shedder(window=0.001, buckets=100), weir.ConfigError, "window"),
    (lambda: weir.Shedder(sample_interval=0), weir.ConfigError, "sample_interval"),
    (lambda: weir.Shedder().record_cpu(-1), ValueError, "permille"),
    (lambda: weir.Throttle(k=0.5), weir.ConfigError, "k"),
    (lambda: weir.Throttle(max_reject_probability=1.5), weir.ConfigError, "max_reject_probability"),
    (lambda: weir.Throttle(k="2"), TypeError, "k"),
    (lambda: weir.Throttle(failures=42), TypeError, "failures"),
    (lambda: weir.Backoff(base=0), weir.ConfigError, "base"),
    (lambda: weir.Backoff(base=1.0, cap=0.5), weir.ConfigError, "cap"),
    (lambda: weir.Backoff(multiplier=0.5), weir.ConfigError, "multiplier"),
    (lambda: weir.Backoff(attempts=0), weir.ConfigError, "attempts"),
    (lambda: weir.Backoff(jitter="random"), weir.ConfigError, "jitter"),
    (lambda: weir.Backoff(jitter=1), TypeError, "jitter"),
    (lambda: weir.RetryBudget(ratio=-0.1), weir.ConfigError, "ratio"),
    (lambda: weir.RetryBudget(buckets=65), weir.ConfigError, "buckets"),
    (lambda: weir.retry(deadline=0), weir.ConfigError, "deadline"),
    (lambda: weir.retry(retry_on=(ValueError, 3)), TypeError, "retry_on"),
    (lambda: weir.retry(retry_on=int), TypeError, "retry_on"),
    (lambda: weir.retry(budget=object()), TypeError, "budget"),
    (lambda: weir.retry(backoff="fast"), TypeError, "backoff"),
    (lambda: weir.Deadline(timeout=0.1, margin=0.2), weir.ConfigError, "margin"),
    (lambda: weir.Deadline(timeout=0), weir.ConfigError, "timeout"),
    (lambda: weir.Picker(["a"], success_floor=2.0), weir.ConfigError, "success_floor"),
    (lambda: weir.Picker(["a", "b"], capacity=1), weir.ConfigError, "capacity"),
    (lambda: weir.Picker(["a"], tau=0), weir.ConfigError, "tau"),
    (lambda: weir.SingleFlight(0), weir.ConfigError, "capacity"),
    (lambda: weir.format_grpc_timeout(-1), ValueError, "seconds"),
    (lambda: weir.hash_key(3.5), TypeError, "key"),
    (lambda: weir.Nanos(-1), ValueError, "ns"),
]


@pytest.mark.parametrize("build,exc,field", CASES, ids=[f"{i}-{c[2]}" for i, c in enumerate(CASES)])
def test_bad_input_is_refused_by_name(build: Callable[[], Any], exc: Type[BaseException], field: str) -> None:
    with pytest.raises(exc) as e:
        build()
    assert field in str(e.value), f"{e.value!r} does not name {field!r}"
    if isinstance(e.value, weir.ConfigError):
        assert e.value.field == field
        assert isinstance(e.value, ValueError)


def test_there_are_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20


def test_config_error_keeps_the_rule_and_core_field() -> None:
    with pytest.raises(weir.ConfigError) as e:
        weir.Limiter(10, per=0)
    assert (e.value.field, e.value.rule) == ("per", "a duration of at least 1 ns")
    assert str(e.value) == "Limiter: per must be a duration of at least 1 ns, got 0"
    # A rule only the kernel knows keeps the kernel's wording.
    with pytest.raises(weir.ConfigError) as e:
        weir.KeyedLimiter(10, capacity=0)
    assert (e.value.field, e.value.core_field) == ("capacity", "capacity")
