"""Rate limits in a service: a global limit, per-tenant limits, headers."""

from __future__ import annotations

import asyncio
from typing import Dict, Tuple

import weir

api = weir.Limiter(rate=100, per=1.0, burst=20)
tenants = weir.KeyedLimiter(rate=10, per=1.0, burst=10, capacity=10_000)


def handle(tenant: str) -> Tuple[int, Dict[str, str]]:
    decision = tenants.try_acquire(tenant)
    if not decision:
        return 429, {"Retry-After": str(max(1, round(decision.retry_after)))}
    return 200, {"X-RateLimit-Remaining": str(decision.remaining)}


@api
def fetch(path: str) -> str:
    return f"GET {path}"


@api
async def fetch_async(path: str) -> str:
    await asyncio.sleep(0)
    return f"GET {path}"


async def main() -> None:
    async with api:
        pass
    await api.acquire_async(cost=2, timeout=1.0)
    print(await fetch_async("/a"))


if __name__ == "__main__":
    print(handle("tenant-7"), fetch("/"))
    asyncio.run(main())
