from __future__ import annotations

import asyncio
import collections
import threading
import time
from typing import List

import pytest

import weir


def test_picker_prefers_the_faster_node() -> None:
    picker = weir.Picker(["fast", "slow"], force_pick=60.0)
    seen: collections.Counter[str] = collections.Counter()
    now = 0
    for _ in range(400):
        p = picker.pick(now=now)
        seen[p.node] += 1
        latency = 1_000_000 if p.node == "fast" else 50_000_000
        now += 1_000_000
        assert p.done(now=p.started_at + latency)
    assert seen["fast"] > 3 * seen["slow"], seen


def test_pick_context_reports_success_failure_and_cpu() -> None:
    picker = weir.Picker(["a"])
    with picker.pick() as node:
        assert node == "a"
    with pytest.raises(RuntimeError):
        with picker.pick():
            raise RuntimeError("failed call")
    p = picker.pick()
    with p:
        p.report(cpu_permille=700)
    (stats,) = picker.stats()
    assert stats["node"] == "a" and stats["cpu_permille"] == 700
    assert stats["success"] < 1.0 and stats["in_flight"] == 0
    assert not p.done(), "a pick reports once"


def test_picker_membership() -> None:
    picker = weir.Picker(["a", "b"], capacity=3)
    assert picker.add("c") and not picker.add("d")
    assert len(picker) == 3
    assert picker.set_up("a", False) and picker.set_up("b", False)
    assert {picker.pick().node for _ in range(20)} == {"c"}
    assert picker.remove("c") and not picker.remove("c")
    with pytest.raises(weir.NoNode):
        picker.pick()
    assert picker.set_up("a", True)
    assert picker.pick().node == "a"


def test_empty_picker_raises_no_node() -> None:
    with pytest.raises(weir.NoNode) as e:
        weir.Picker([]).pick()
    assert e.value.reason == "no_node"


def test_async_pick() -> None:
    picker = weir.Picker(["x", "y"])

    async def main() -> str:
        async with picker.pick() as node:
            return node

    assert asyncio.run(main()) in ("x", "y")


def test_singleflight_threads_share_one_call() -> None:
    flights = weir.SingleFlight()
    calls = 0
    started = threading.Event()

    def work() -> int:
        nonlocal calls
        calls += 1
        started.set()
        time.sleep(0.1)
        return 42

    results: List[int] = []

    def caller() -> None:
        results.append(flights.do("key", work))

    leader = threading.Thread(target=caller)
    leader.start()
    started.wait()
    followers = [threading.Thread(target=caller) for _ in range(7)]
    for t in followers:
        t.start()
    for t in [leader, *followers]:
        t.join()
    assert results == [42] * 8 and calls == 1
    assert flights.in_flight == 0


def test_singleflight_error_reaches_every_waiter() -> None:
    flights = weir.SingleFlight()
    started = threading.Event()

    def work() -> int:
        started.set()
        time.sleep(0.05)
        raise ValueError("backend down")

    errors: List[BaseException] = []

    def caller() -> None:
        try:
            flights.do("k", work)
        except ValueError as e:
            errors.append(e)

    first = threading.Thread(target=caller)
    first.start()
    started.wait()
    others = [threading.Thread(target=caller) for _ in range(3)]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join()
    assert len(errors) == 4 and all(str(e) == "backend down" for e in errors)


def test_singleflight_follower_timeout_leaves_alone() -> None:
    flights = weir.SingleFlight()
    started = threading.Event()
    result: List[int] = []

    def work() -> int:
        started.set()
        time.sleep(0.15)
        return 7

    leader = threading.Thread(target=lambda: result.append(flights.do("k", work)))
    leader.start()
    started.wait()
    with pytest.raises(TimeoutError):
        flights.do("k", work, timeout=0.01)
    leader.join()
    assert result == [7]
    assert flights.do("k", lambda: 8) == 8, "a finished flight is not reused"


def test_singleflight_different_keys_do_not_share() -> None:
    flights = weir.SingleFlight()
    assert flights.do("a", lambda: 1) == 1
    assert flights.do(b"b", lambda: 2) == 2


def test_singleflight_async_shares_and_survives_one_cancelled_waiter() -> None:
    flights = weir.SingleFlight()
    calls = 0

    async def work() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return "v"

    async def main() -> None:
        tasks = [asyncio.ensure_future(flights.do_async("k", work)) for _ in range(5)]
        await asyncio.sleep(0.01)
        tasks[0].cancel()  # the leading caller leaves; the work goes on
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[0], asyncio.CancelledError)
        assert results[1:] == ["v"] * 4

    asyncio.run(main())
    assert calls == 1 and flights.in_flight == 0


def test_singleflight_async_work_cancelled_when_every_waiter_left() -> None:
    flights = weir.SingleFlight()
    state = {"cancelled": False}

    async def work() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            state["cancelled"] = True
            raise
        return "never"

    async def main() -> None:
        tasks = [asyncio.ensure_future(flights.do_async("k", work)) for _ in range(3)]
        await asyncio.sleep(0.01)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.01)
        assert state["cancelled"]
        # a new call starts new work rather than joining the cancelled one
        assert await flights.do_async("k", lambda: asyncio.sleep(0, "fresh")) == "fresh"

    asyncio.run(main())
    assert flights.in_flight == 0


def test_singleflight_async_error_reaches_every_waiter() -> None:
    flights = weir.SingleFlight()

    async def work() -> None:
        await asyncio.sleep(0.01)
        raise KeyError("gone")

    async def main() -> None:
        results = await asyncio.gather(*(flights.do_async("k", work) for _ in range(3)), return_exceptions=True)
        assert all(isinstance(r, KeyError) for r in results)

    asyncio.run(main())


def test_picker_under_threads_with_membership_changes() -> None:
    picker = weir.Picker(["a", "b", "c"], capacity=8)
    errors: List[BaseException] = []
    stop = threading.Event()

    def churn() -> None:
        i = 0
        while not stop.is_set():
            name = f"n{i % 4}"
            picker.add(name)
            picker.remove(name)
            i += 1

    def use() -> None:
        try:
            for _ in range(2000):
                with picker.pick() as node:
                    assert isinstance(node, str)
        except BaseException as e:
            errors.append(e)

    churner = threading.Thread(target=churn)
    churner.start()
    users = [threading.Thread(target=use) for _ in range(4)]
    for t in users:
        t.start()
    for t in users:
        t.join()
    stop.set()
    churner.join()
    assert not errors, errors[:1]
    assert all(s["in_flight"] == 0 for s in picker.stats()), picker.stats()
