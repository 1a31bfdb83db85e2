"""One limit for every replica of a service, leased from Redis."""

from __future__ import annotations

import os

import weir

tenant_limit = weir.FleetLimiter(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"),
    "limits:tenant-7",
    rate=1000,
    per=1.0,
    nodes=8,  # each replica admits 1000 / 8 per second on its own while Redis is down
)


@tenant_limit
def handle() -> str:
    return "ok"


def report() -> str:
    s = tenant_limit.stats()
    mode = "fallback share" if s["in_fallback"] else "leasing"
    return f"{mode}: {s['admitted']} admitted, {s['redis_calls']} Redis calls, bound {tenant_limit.bound:.2f}"


if __name__ == "__main__":
    print(handle(), report())
