from __future__ import annotations

import asyncio
import pathlib
import threading
import time
from datetime import timedelta

import pytest

import weir

S = 1_000_000_000


def test_burst_then_refusal_with_exact_retry_after() -> None:
    lim = weir.Limiter(rate=10, per=1, burst=3)
    got = [lim.try_acquire(1, 0) for _ in range(4)]
    assert [bool(d) for d in got] == [True, True, True, False]
    assert [d.remaining for d in got[:3]] == [2, 1, 0]
    refused = got[3]
    assert refused.reason == "rate_limited"
    assert refused.retry_after_ns == S // 10
    assert refused.retry_after == pytest.approx(0.1)
    assert refused.admitted is False and got[0].admitted is True
    assert lim.try_acquire(1, S // 10)  # one token back after 100 ms


def test_cost_above_burst_can_never_pass() -> None:
    lim = weir.Limiter(5, burst=2)
    d = lim.try_acquire(3, 0)
    assert not d and d.reason == "cost_exceeds_burst" and d.retry_after == float("inf")
    # acquire must not wait for something that can never happen
    start = time.monotonic()
    assert not lim.acquire(3, timeout=5)
    assert time.monotonic() - start < 1


def test_durations_accept_timedelta_and_exact_nanos() -> None:
    a = weir.Limiter(1, per=timedelta(milliseconds=250))
    b = weir.Limiter(1, per=weir.Nanos(250_000_000))
    assert a.interval_ns == b.interval_ns == 250_000_000
    assert weir.Limiter(0.5).interval_ns == 2 * S  # fractional rate: one token per 2 s


def test_default_burst_is_rate_and_repr_names_it() -> None:
    lim = weir.Limiter(7)
    assert lim.burst == 7
    assert "burst=7" in repr(lim)
    assert "admitted" in repr(lim.try_acquire(1, 0))


def test_state_restore_moves_the_bucket() -> None:
    a = weir.Limiter(10, burst=2)
    assert a.try_acquire(2, 0)
    b = weir.Limiter(10, burst=2)
    b.restore(a.state())
    assert not b.try_acquire(1, 0)


def test_blocking_acquire_waits_for_the_next_token() -> None:
    lim = weir.Limiter(20, burst=1)  # one token per 50 ms
    assert lim.try_acquire()
    start = time.monotonic()
    d = lim.acquire()
    waited = time.monotonic() - start
    assert d and 0.03 < waited < 0.5


def test_blocking_acquire_gives_up_at_once_when_timeout_is_too_short() -> None:
    lim = weir.Limiter(1, per=10, burst=1)
    assert lim.try_acquire()
    start = time.monotonic()
    d = lim.acquire(timeout=0.05)
    assert not d and d.reason == "rate_limited"
    assert time.monotonic() - start < 0.04


def test_acquire_releases_the_gil_while_waiting() -> None:
    lim = weir.Limiter(5, burst=1)  # 200 ms per token
    assert lim.try_acquire()
    ticks = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        before = ticks
        assert lim.acquire()
        progressed = ticks - before
    finally:
        stop.set()
        t.join()
    assert progressed > 10_000, progressed


def test_eight_threads_admit_exactly_the_burst() -> None:
    burst = 5_000
    lim = weir.Limiter(1, per=3600, burst=burst)
    admitted = [0] * 8
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        barrier.wait()
        n = 0
        for _ in range(2_000):
            if lim.try_acquire(1, 1):
                n += 1
        admitted[i] = n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) == burst


def test_eight_threads_on_the_real_clock_never_exceed_rate_plus_burst() -> None:
    lim = weir.Limiter(100, per=1, burst=10)
    count = 0
    lock = threading.Lock()
    deadline = time.monotonic() + 0.3

    def worker() -> None:
        nonlocal count
        while time.monotonic() < deadline:
            if lim.try_acquire():
                with lock:
                    count += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 0.3 s at 100/s plus the burst of 10, with room for the loop's last check.
    assert 10 <= count <= 10 + 100 * 0.45


def test_context_manager_and_decorator_sync() -> None:
    lim = weir.Limiter(1000, burst=2)
    with lim as entered:
        assert entered is lim
    calls = []

    @lim
    def work(x: int) -> int:
        calls.append(x)
        return x * 2

    assert work(21) == 42 and calls == [21]
    assert work.__name__ == "work"


def test_async_acquire_fast_path_and_slow_path() -> None:
    async def main() -> None:
        lim = weir.Limiter(20, burst=1)  # 50 ms per token
        assert await lim.acquire_async() is None
        start = time.monotonic()
        await lim.acquire_async()
        assert 0.03 < time.monotonic() - start < 0.5
        with pytest.raises(weir.RateLimited) as e:
            await lim.acquire_async(timeout=0.001)
        assert e.value.reason == "rate_limited" and e.value.retry_after > 0
        with pytest.raises(weir.RateLimited) as never:
            await lim.acquire_async(5)
        assert never.value.reason == "cost_exceeds_burst"

    asyncio.run(main())


def test_async_with_and_async_decorator() -> None:
    lim = weir.Limiter(1000, burst=5)

    @lim
    async def work() -> str:
        await asyncio.sleep(0)
        return "ok"

    async def main() -> None:
        async with lim as entered:
            assert entered is lim
        assert await work() == "ok"

    asyncio.run(main())


def test_many_async_waiters_are_all_served_in_order_of_tokens() -> None:
    lim = weir.Limiter(200, burst=1)  # 5 ms per token

    async def main() -> float:
        start = time.monotonic()
        await asyncio.gather(*(lim.acquire_async() for _ in range(10)))
        return time.monotonic() - start

    elapsed = asyncio.run(main())
    assert 0.03 <= elapsed < 1.0


def test_keyed_limiter_keys_are_independent() -> None:
    table = weir.KeyedLimiter(10, burst=1, capacity=64)
    assert table.try_acquire("alice", 1, 0)
    assert not table.try_acquire("alice", 1, 0)
    assert table.try_acquire(b"bob", 1, 0)
    assert table.try_acquire("alice", 1, S // 10)
    assert table.live(0) == 2
    assert table.capacity == 64


def test_keyed_limiter_str_and_bytes_hash_alike_and_match_hash_key() -> None:
    table = weir.KeyedLimiter(10, burst=1, capacity=8)
    assert table.try_acquire("k", 1, 0)
    assert not table.try_acquire(b"k", 1, 0)
    assert not table.try_acquire_hashed(weir.hash_key("k"), 1, 0)


def test_keyed_limiter_fails_closed_when_full() -> None:
    table = weir.KeyedLimiter(1, per=60, burst=1, capacity=8)
    refused = None
    for i in range(64):
        d = table.try_acquire(f"k{i}", 1, 0)
        if not d:
            refused = d
            break
    assert refused is not None and refused.reason == "table_full"
    assert refused.retry_after_ns == 60 * S


def test_keyed_limiter_blocking_and_async() -> None:
    table = weir.KeyedLimiter(20, burst=1, capacity=16)
    assert table.acquire("a")
    assert table.acquire("a", timeout=1)

    async def main() -> None:
        await table.acquire_async("b")
        await table.acquire_async("b")
        with pytest.raises(weir.RateLimited):
            await table.acquire_async("b", timeout=0.001)

    asyncio.run(main())

    @table.limit("c")
    def f() -> int:
        return 1

    assert f() == 1


def test_keyed_capacity_rounds_up_to_a_set() -> None:
    assert weir.KeyedLimiter(1, capacity=9).capacity == 16


def test_concurrency_limiter() -> None:
    lim = weir.ConcurrencyLimiter(2)
    assert lim.try_acquire() and lim.try_acquire()
    d = lim.try_acquire()
    assert not d and d.reason == "concurrency_limited"
    assert lim.release() and lim.release() and not lim.release()
    with lim:
        assert lim.in_flight == 1
        with lim:
            with pytest.raises(weir.RateLimited) as e:
                with lim:
                    pass
            assert e.value.reason == "concurrency_limited"
    assert lim.in_flight == 0

    @lim
    def f() -> int:
        return lim.in_flight

    assert f() == 1

    async def main() -> None:
        async with lim:
            assert lim.in_flight == 1

    asyncio.run(main())
    assert lim.in_flight == 0


def test_float_rates_keep_their_burst() -> None:
    assert weir.Limiter(10.0).burst == 10
    assert weir.Limiter(10.0).interval_ns == weir.Limiter(10).interval_ns
    assert weir.Limiter(2.5).burst == 2


def test_stats_probe_does_not_spend() -> None:
    lim = weir.Limiter(10, burst=4)
    assert lim.try_acquire(3, 0)
    stats = lim.stats(0)
    assert (stats["remaining"], stats["reset_after"], stats["burst"]) == (1, pytest.approx(0.3), 4)
    assert lim.stats(0)["remaining"] == 1
    assert lim.try_acquire(1, 0) and not lim.try_acquire(1, 0)


def test_decisions_are_counted_by_reason() -> None:
    lim = weir.Limiter(10, burst=2)
    for _ in range(5):
        lim.try_acquire(1, 0)
    lim.try_acquire(3, 0)
    assert lim.stats(0)["decisions"] == {"admitted": 2, "rate_limited": 3, "cost_exceeds_burst": 1}
    table = weir.KeyedLimiter(10, burst=1, capacity=8)
    table.try_acquire("a", 1, 0)
    table.try_acquire("a", 1, 0)
    assert table.stats(0) == {"live": 1, "capacity": 8, "decisions": {"admitted": 1, "rate_limited": 1}}
    conc = weir.ConcurrencyLimiter(1)
    conc.try_acquire()
    conc.try_acquire()
    assert conc.stats()["decisions"] == {"admitted": 1, "concurrency_limited": 1}
    assert weir.Limiter(1).stats()["decisions"] == {"admitted": 0}
    waiting = weir.Limiter(1, per=10, burst=1)
    waiting.acquire()
    assert not waiting.acquire(timeout=0.001)
    assert waiting.stats()["decisions"] == {"admitted": 1, "rate_limited": 1}


def test_a_shared_limiter_counts_the_decisions_of_its_own_handle(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "decisions")
    a = weir.Limiter(1, per=3600, burst=2, shared=path)
    b = weir.Limiter(1, per=3600, burst=2, shared=path)
    assert a.try_acquire(2)
    assert not b.try_acquire(1)
    assert not a.try_acquire(3)
    assert a.stats()["decisions"] == {"admitted": 1, "cost_exceeds_burst": 1}
    assert b.stats()["decisions"] == {"admitted": 0, "rate_limited": 1}


def test_counts_stay_exact_under_threads() -> None:
    lim = weir.Limiter(1, per=3600, burst=1000)

    def worker() -> None:
        for _ in range(500):
            lim.try_acquire(1, 1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lim.stats(1)["decisions"] == {"admitted": 1000, "rate_limited": 3000}
