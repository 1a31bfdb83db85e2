"""Protecting a service and its callers: shedding, throttling, retries."""

from __future__ import annotations

import asyncio
from typing import List

import weir

shedder = weir.Shedder(cpu_threshold=800, max_queue=512, cpu_sampler=True)
throttle = weir.Throttle(k=2.0, failures=(ConnectionError, TimeoutError))
budget = weir.RetryBudget(ratio=0.1, min_per_second=10)


class Unavailable(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__("unavailable")
        self.retry_after = retry_after


def serve(request: str) -> str:
    try:
        with shedder.guard():
            return f"served {request}"
    except weir.Overloaded as e:
        return f"503, retry after {e.retry_after:.1f} s ({e.reason})"


@weir.retry(attempts=3, base=0.01, cap=0.1, budget=budget, deadline=1.0)
def call_backend(request: str) -> str:
    with throttle.call():
        return f"backend answered {request}"


@weir.retry(attempts=3, budget=budget, retry_on=(Unavailable,))
async def call_backend_async(request: str) -> str:
    async with throttle.call():
        await asyncio.sleep(0)
        return f"backend answered {request}"


def delays() -> List[float]:
    return list(weir.Backoff(base=0.1, cap=2.0, jitter="full", attempts=5))


if __name__ == "__main__":
    print(serve("/"), call_backend("/x"), asyncio.run(call_backend_async("/y")), delays())
    shedder.stop_cpu_sampler()
