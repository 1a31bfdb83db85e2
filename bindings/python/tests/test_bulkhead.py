"""The bulkhead's queue on real threads and a real event loop: FIFO
hand-off, the exact queue bound, the maximum wait, cancellation, and no
permit ever leaked."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Callable, List

import pytest

import weir


def until(cond: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + 5
    while not cond():
        assert time.monotonic() < end, f"timed out waiting until {what}"
        time.sleep(0.0005)


def test_threads_get_permits_in_arrival_order() -> None:
    lim = weir.ConcurrencyLimiter(1, max_queue=20)
    holder = lim.acquire()
    order: List[int] = []

    def worker(i: int) -> None:
        with lim.acquire(timeout=5):
            order.append(i)

    threads = []
    for i in range(20):
        t = threading.Thread(target=worker, args=(i,))
        t.start()
        threads.append(t)
        until(lambda: lim.queued == i + 1, "the waiter queued")
    assert not lim.try_acquire(), "a newcomer never takes a permit while others wait"
    holder.release()
    for t in threads:
        t.join()
    assert order == list(range(20))
    s = lim.stats()
    assert (s["in_flight"], s["queued"], s["admitted_after_wait"]) == (0, 0, 20)


def test_tasks_get_permits_in_arrival_order() -> None:
    async def main() -> List[int]:
        lim = weir.ConcurrencyLimiter(1, max_queue=20)
        order: List[int] = []
        holder = await lim.acquire_async()

        async def worker(i: int) -> None:
            async with lim:
                order.append(i)
                await asyncio.sleep(0)

        tasks = []
        for i in range(20):
            tasks.append(asyncio.create_task(worker(i)))
            while lim.queued < i + 1:
                await asyncio.sleep(0)
        holder.release()
        await asyncio.gather(*tasks)
        assert lim.in_flight == 0
        return order

    assert asyncio.run(main()) == list(range(20))


def test_the_queue_bound_holds_exactly_under_concurrent_arrivals() -> None:
    lim = weir.ConcurrencyLimiter(1, max_queue=5)
    holder = lim.acquire()
    reasons: List[str] = []
    lock = threading.Lock()
    start = threading.Barrier(40)

    def worker() -> None:
        start.wait()
        try:
            with lim.acquire(timeout=5):
                outcome = "admitted"
        except weir.RateLimited as e:
            outcome = e.reason
        with lock:
            reasons.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(40)]
    for t in threads:
        t.start()
    until(lambda: reasons.count("queue_full") + lim.queued == 40, "every arrival queued or refused")
    holder.release()
    for t in threads:
        t.join()
    assert (reasons.count("queue_full"), reasons.count("admitted")) == (35, 5)
    assert lim.stats()["decisions"]["queue_full"] == 35
    assert lim.in_flight == 0


def test_a_waiter_past_its_wait_is_refused_with_the_reason() -> None:
    lim = weir.ConcurrencyLimiter(1, max_wait=0.02)
    holder = lim.acquire()
    began = time.monotonic()
    with pytest.raises(weir.RateLimited) as e:
        lim.acquire()
    assert e.value.reason == "wait_timeout"
    assert time.monotonic() - began >= 0.02
    with pytest.raises(weir.RateLimited) as e:
        lim.acquire(timeout=0.001)  # a shorter wait of its own

    async def wait_async() -> str:
        try:
            await lim.acquire_async()
        except weir.RateLimited as refused:
            return refused.reason
        return "admitted"

    assert asyncio.run(wait_async()) == "wait_timeout"
    holder.release()
    s = lim.stats()
    assert (s["in_flight"], s["queued"], s["decisions"]["wait_timeout"]) == (0, 0, 3)


def test_no_queue_refuses_at_once_as_concurrency_limited() -> None:
    lim = weir.ConcurrencyLimiter(1, max_queue=0)
    with lim:
        with pytest.raises(weir.RateLimited) as e:
            lim.acquire(timeout=1)
        assert e.value.reason == "concurrency_limited"
    assert lim.in_flight == 0


def test_cancelling_the_task_removes_the_waiter() -> None:
    async def main() -> None:
        lim = weir.ConcurrencyLimiter(1)
        holder = await lim.acquire_async()
        waiter = asyncio.create_task(lim.acquire_async())
        while lim.queued == 0:
            await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert lim.queued == 0
        holder.release()
        s = lim.stats()
        assert (s["in_flight"], s["decisions"]["cancelled"]) == (0, 1)

    asyncio.run(main())


def test_a_permit_granted_as_the_task_is_cancelled_is_released() -> None:
    async def main() -> None:
        lim = weir.ConcurrencyLimiter(1)
        holder = await lim.acquire_async()
        waiter = asyncio.create_task(lim.acquire_async())
        while lim.queued == 0:
            await asyncio.sleep(0)
        # The permit is handed over (its future completed on the next loop
        # turn) and the task is cancelled before it runs again.
        holder.release()
        assert lim.in_flight == 1 and lim.queued == 0
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert lim.in_flight == 0, "the cancelled task passed its permit on"

    asyncio.run(main())


def test_a_permit_granted_by_another_thread_wakes_the_task() -> None:
    async def main() -> None:
        lim = weir.ConcurrencyLimiter(1)
        holder = lim.acquire()
        waiter = asyncio.create_task(lim.acquire_async(timeout=5))
        while lim.queued == 0:
            await asyncio.sleep(0)
        threading.Thread(target=holder.release).start()
        permit = await waiter
        assert lim.in_flight == 1
        permit.release()
        permit.release()  # a second release of one permit does nothing
        assert lim.in_flight == 0

    asyncio.run(main())


def test_bad_settings_name_the_field_and_the_value() -> None:
    with pytest.raises(weir.ConfigError, match="max_queue") as e:
        weir.ConcurrencyLimiter(1, max_queue=2**21)
    assert "2097152" in str(e.value)
    with pytest.raises(weir.ConfigError, match="max_wait"):
        weir.ConcurrencyLimiter(1, max_wait=0)
    with pytest.raises(weir.ConfigError, match="max_wait"):
        weir.ConcurrencyLimiter(1, max_wait=86401)


def test_a_waiter_whose_loop_closed_passes_the_permit_on() -> None:
    lim = weir.ConcurrencyLimiter(1)
    holder = lim.acquire()
    loop = asyncio.new_event_loop()
    waiter = loop.create_task(lim.acquire_async())
    loop.run_until_complete(asyncio.sleep(0))  # the task queues and is left waiting
    assert lim.queued == 1
    loop.close()
    holder.release()  # its wake fails on the closed loop: the permit is freed
    assert (lim.in_flight, lim.queued) == (0, 0)
    del waiter
