"""Events: each primitive driven into its state and out again, the events
arriving once per edge and in order, and a raising callback reported as
unraisable while decisions go on."""

from __future__ import annotations

import sys
import threading
from typing import Any, List

import pytest

import weir

SECOND = 1_000_000_000


class Recorder:
    def __init__(self) -> None:
        self.events: List[weir.Event] = []

    def __call__(self, e: weir.Event) -> None:
        self.events.append(e)

    def edges(self) -> List[str]:
        return [e.kind for e in self.events if e.kind != "refused"]

    def refusals(self) -> int:
        return sum(e.refusals for e in self.events if e.kind == "refused")


def listen(obj: Any, kinds: List[str], monkeypatch: pytest.MonkeyPatch) -> tuple[Recorder, list[BaseException]]:
    """A raising callback first, then the recorder, on every kind."""
    reported: list[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_value))
    rec = Recorder()

    def broken(e: weir.Event) -> None:
        raise RuntimeError(f"a listener's bug on {e.kind}")

    for kind in kinds:
        obj.on(kind, broken)
        obj.on(kind, rec)
    return rec, reported


def test_shedder_dropping_starts_and_stops_once(monkeypatch: pytest.MonkeyPatch) -> None:
    s = weir.Shedder(max_queue=1, cool_off=1.0)
    rec, reported = listen(s, ["refused", "dropping_started", "dropping_stopped"], monkeypatch)
    t0 = weir.monotonic_ns()
    assert s.try_acquire(now=t0)
    for i in range(3):
        d = s.try_acquire(now=t0 + 1 + i)
        assert not d and d.reason == "queue_full"
    s.done(t0, now=t0 + 10)
    assert s.try_acquire(now=t0 + SECOND // 2), "inside the cool-off the shedder stays dropping"
    s.done(t0 + SECOND // 2, now=t0 + SECOND // 2 + 10)
    assert rec.edges() == ["dropping_started"]
    assert s.try_acquire(now=t0 + 2 * SECOND)
    assert rec.edges() == ["dropping_started", "dropping_stopped"]
    assert rec.refusals() == 3
    started, stopped = [e for e in rec.events if e.kind != "refused"]
    assert (started.reason, started.at_ns, started.refusals) == ("queue_full", t0 + 1, 1)
    assert (stopped.since_ns, stopped.at_ns, stopped.refusals) == (t0 + 1, t0 + 2 * SECOND, 3)
    assert all(isinstance(e, RuntimeError) for e in reported) and len(reported) == len(rec.events)
    assert s.stats()["events_dropped"] == 0


def test_throttle_refusing_starts_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    t = weir.Throttle(k=1, min_requests=1, max_reject_probability=1)
    rec, reported = listen(t, ["refusing_started", "refusing_stopped", "refused"], monkeypatch)
    t0 = weir.monotonic_ns()
    assert t.try_acquire(now=t0, draw=0), "below min_requests nothing is refused"
    for i in range(4):
        assert t.try_acquire(now=t0 + 1 + i, draw=0).reason == "throttled"
    assert t.try_acquire(now=t0 + SECOND, draw=2**64 - 1), "a bucket later the highest draw passes"
    assert rec.edges() == ["refusing_started", "refusing_stopped"]
    assert rec.refusals() == 4
    assert len(reported) == len(rec.events)


def test_retry_budget_exhausted_then_recovered(monkeypatch: pytest.MonkeyPatch) -> None:
    b = weir.RetryBudget(ratio=1, min_per_second=0, window=10, buckets=10)
    rec, _ = listen(b, ["budget_exhausted", "budget_recovered", "refused"], monkeypatch)
    t0 = weir.monotonic_ns()
    b.deposit(now=t0)
    assert b.withdraw(now=t0)
    for _ in range(2):
        assert b.withdraw(now=t0 + 1).reason == "budget_exhausted"
    assert rec.edges() == ["budget_exhausted"]
    b.deposit(now=t0 + 2 * SECOND)
    assert b.withdraw(now=t0 + 2 * SECOND)
    assert rec.edges() == ["budget_exhausted", "budget_recovered"]
    assert rec.refusals() == 2


def test_retry_policy_spends_through_the_budgets_events(monkeypatch: pytest.MonkeyPatch) -> None:
    b = weir.RetryBudget(ratio=0, min_per_second=0)
    rec, _ = listen(b, ["budget_exhausted"], monkeypatch)
    backoff = weir.Backoff(attempts=5)
    policy = weir._weir.RetryPolicy(backoff, b)
    d, _ = policy.decide(1, now=weir.monotonic_ns())
    assert d.reason == "budget_exhausted"
    assert rec.edges() == ["budget_exhausted"]


def test_keyed_table_full_then_recovered(monkeypatch: pytest.MonkeyPatch) -> None:
    k = weir.KeyedLimiter(1, burst=1, capacity=8)
    rec, _ = listen(k, ["table_full", "table_recovered", "refused"], monkeypatch)
    t0 = weir.monotonic_ns()
    for key in range(8):
        assert k.try_acquire_hashed(key, now=t0)
    assert k.try_acquire_hashed(8, now=t0).reason == "table_full"
    assert k.try_acquire_hashed(9, now=t0).reason == "table_full"
    assert rec.edges() == ["table_full"]
    k.try_acquire_hashed(0, now=t0 + SECOND)
    assert rec.edges() == ["table_full", "table_recovered"]
    assert rec.refusals() == 2


def test_events_before_a_listener_are_delivered_when_one_registers() -> None:
    k = weir.KeyedLimiter(1, burst=1, capacity=8)
    for key in range(9):
        k.try_acquire_hashed(key, now=1)
    rec = Recorder()
    k.on("table_full", rec)
    assert [e.kind for e in rec.events] == ["table_full"]


def test_an_unknown_event_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"Shedder\.on: event must be one of .*dropping_started.*got 'table_full'"):
        weir.Shedder().on("table_full", print)
    with pytest.raises(TypeError, match="callable"):
        weir.Throttle().on("refused", 3)


def test_edges_from_many_threads_alternate() -> None:
    t = weir.Throttle(k=1, min_requests=1, max_reject_probability=1)
    kinds: List[str] = []
    t.on("refusing_started", lambda e: kinds.append(e.kind))
    t.on("refusing_stopped", lambda e: kinds.append(e.kind))
    t0 = weir.monotonic_ns()

    def run(offset: int) -> None:
        for i in range(2000):
            now = t0 + i * (SECOND // 8) + offset
            t.try_acquire(now=now, draw=0 if (i // 10) % 2 == 0 else 2**64 - 1)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(kinds) > 10
    assert all(a != b for a, b in zip(kinds, kinds[1:])), kinds
