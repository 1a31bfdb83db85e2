from __future__ import annotations

import asyncio
import threading
import time

import pytest

import weir

MS = 1_000_000


def test_guard_admits_records_and_rejects_past_the_queue_cap() -> None:
    shed = weir.Shedder(max_queue=2)
    with shed.guard() as g:
        assert g.started_at is not None
        with shed.guard():
            assert shed.stats()["in_flight"] == 2
            with pytest.raises(weir.Overloaded) as e:
                with shed.guard():
                    pass
            assert e.value.reason == "queue_full" and e.value.retry_after > 0
    assert g.started_at is None
    assert shed.stats()["in_flight"] == 0
    assert shed.stats()["decisions"] == {"admitted": 2, "queue_full": 1}


def test_cpu_overload_sheds_past_the_learned_capacity() -> None:
    shed = weir.Shedder(window=weir.Nanos(1000 * MS), buckets=10, cpu_threshold=800, cpu_decay=0.0)
    # Learn: 2 requests of 10 ms completed per 100 ms bucket.
    t = 0
    for _ in range(10):
        for _ in range(2):
            assert shed.try_acquire(t)
            shed.done(t, t + 10 * MS)
        t += 100 * MS
    assert shed.record_cpu(900) == 900.0
    admitted = [shed.try_acquire(t) for _ in range(5)]
    assert [bool(d) for d in admitted[:2]] == [True, True]
    assert any(d.reason == "cpu_overloaded" for d in admitted)
    assert shed.stats(t)["cooling_off"] is True


def test_shedder_decorator_and_async_guard() -> None:
    shed = weir.Shedder(max_queue=1)

    @shed
    def f() -> int:
        return shed.stats()["in_flight"]

    assert f() == 1

    @shed
    async def g() -> int:
        return int(shed.stats()["in_flight"])

    async def main() -> None:
        assert await g() == 1
        async with shed.guard():
            with pytest.raises(weir.Overloaded):
                async with shed.guard():
                    pass

    asyncio.run(main())
    assert shed.stats()["in_flight"] == 0


def test_cpu_sampler_thread_feeds_the_shedder_and_stops() -> None:
    shed = weir.Shedder(cpu_decay=0.0, cpu_sampler=True, sample_interval=0.01)
    assert shed.cpu_sampler_running
    # Keep a CPU busy while reading: with cpu_decay 0 the CPU is the latest
    # sample, so an idle pause before reading could bring it back to 0.
    until = time.monotonic() + 2.0
    cpu = 0.0
    while time.monotonic() < until and cpu == 0:
        spin = time.monotonic() + 0.03
        while time.monotonic() < spin:
            pass
        cpu = shed.stats()["cpu"]
    assert 0 < cpu <= 1000
    shed.stop_cpu_sampler()
    assert not shed.cpu_sampler_running
    shed.start_cpu_sampler(0.05)
    shed.start_cpu_sampler(0.05)  # idempotent
    assert shed.cpu_sampler_running
    del shed  # the thread must stop with its shedder


def test_threads_never_exceed_the_queue_cap() -> None:
    shed = weir.Shedder(max_queue=3)
    peak = 0
    current = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal peak, current
        for _ in range(300):
            try:
                with shed.guard():
                    with lock:
                        current += 1
                        peak = max(peak, current)
                    with lock:
                        current -= 1
            except weir.Overloaded:
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= peak <= 3
    assert shed.stats()["in_flight"] == 0


def test_throttle_counts_failures_and_then_rejects() -> None:
    thr = weir.Throttle(min_requests=5, max_reject_probability=0.9)
    rejected = 0
    for _ in range(300):
        try:
            with thr.call():
                raise ConnectionError("down")
        except ConnectionError:
            pass
        except weir.Throttled as e:
            assert e.reason == "throttled" and e.retry_after > 0
            rejected += 1
    assert rejected > 100
    stats = thr.stats()
    assert stats["accepts"] == 0 and stats["reject_probability"] > 0.5
    assert stats["decisions"] == {"admitted": 300 - rejected, "throttled": rejected}


def test_throttle_failures_are_configurable() -> None:
    thr = weir.Throttle(failures=(ConnectionError,), min_requests=1)
    for _ in range(50):
        with pytest.raises(KeyError):
            with thr.call():
                raise KeyError("not found is an answer, not a failure")
    assert thr.stats()["accepts"] == 50
    assert thr.is_failure(ConnectionError()) and not thr.is_failure(KeyError())
    pred = weir.Throttle(failures=lambda e: "503" in str(e))
    assert pred.is_failure(RuntimeError("503")) and not pred.is_failure(RuntimeError("404"))


def test_throttle_explicit_now_and_draw() -> None:
    thr = weir.Throttle(k=1.0, min_requests=0, max_reject_probability=1.0)
    for _ in range(10):
        assert thr.try_acquire(0, 2**64 - 1)
    # 10 requests, 0 accepts: p = 10/11; a draw of 0 is below it, the top draw is not
    assert not thr.try_acquire(0, 0)
    assert thr.try_acquire(0, 2**64 - 1)
    thr.record(True, 0)
    assert thr.stats(0)["accepts"] == 1


def test_throttle_decorator_sync_and_async() -> None:
    thr = weir.Throttle()

    @thr
    def f() -> int:
        return 1

    @thr
    async def g() -> int:
        return 2

    assert f() == 1
    assert asyncio.run(g()) == 2
    assert thr.stats()["accepts"] == 2


def test_a_shed_refusal_inside_a_throttled_call_is_forgotten() -> None:
    # The backend never saw these calls: the throttle must not count them
    # as requests without accepts (it would start refusing a healthy backend).
    throttle = weir.Throttle(k=1, min_requests=1)
    shed = weir.Shedder(max_queue=1)
    with shed.guard():
        for _ in range(50):
            with pytest.raises(weir.Overloaded):
                with throttle.call(), shed.guard():
                    pass
    stats = throttle.stats()
    assert (stats["requests"], stats["accepts"], stats["reject_probability"]) == (0, 0, 0.0)
    assert stats["decisions"]["admitted"] == 50


def test_a_limit_refusal_inside_a_shed_guard_leaves_no_response_time() -> None:
    # A refused call took microseconds; as a response time it would teach the
    # shedder a minimum RT the service never showed.
    limit = weir.ConcurrencyLimiter(max_in_flight=1)
    shed = weir.Shedder(window=0.2, buckets=2)
    with limit:
        for _ in range(20):
            with pytest.raises(weir.RateLimited):
                with shed.guard(), limit:
                    pass
    assert shed.stats()["in_flight"] == 0
    time.sleep(0.15)  # the bucket finishes; only finished buckets teach
    assert shed.stats()["min_rt_ns"] == 1_000_000, "no response time: the 1 ms default"
