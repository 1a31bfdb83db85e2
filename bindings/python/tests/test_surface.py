"""The package's public surface: every name exported, documented and typed."""

from __future__ import annotations

import inspect
import pathlib

import weir


def test_every_public_name_exists_and_has_a_docstring() -> None:
    for name in weir.__all__:
        obj = getattr(weir, name)
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
            assert (obj.__doc__ or "").strip(), f"weir.{name} has no docstring"


def test_the_package_ships_its_types() -> None:
    root = pathlib.Path(weir.__file__).parent
    assert (root / "py.typed").exists()
    assert (root / "_weir.pyi").exists()


def test_decisions_read_back_as_seconds_and_nanoseconds() -> None:
    lim = weir.Limiter(4, burst=1)
    assert lim.try_acquire(1, 0)
    d = lim.try_acquire(1, 0)
    assert (d.retry_after_ns, d.reset_after_ns) == (250_000_000, 250_000_000)
    assert (d.retry_after, d.reset_after) == (0.25, 0.25)
    assert d.remaining == 0 and d.admitted is False and not d


def test_a_held_decision_never_changes() -> None:
    lim = weir.Limiter(10, burst=2)
    first = lim.try_acquire(1, 0)
    second = lim.try_acquire(1, 0)
    third = lim.try_acquire(1, 0)
    assert (first.remaining, second.remaining, bool(third)) == (1, 0, False)
    assert first is not second and second is not third
    assert first.reason == "admitted" and third.reason == "rate_limited"
