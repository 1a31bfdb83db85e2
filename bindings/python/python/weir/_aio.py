"""The asyncio slow path of `acquire_async`: only reached when the first try
was refused, so the admitted path stays one native call."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional, Tuple

from . import _weir
from ._errors import RateLimited


async def wait(
    try_acquire: Callable[..., Any],
    args: Tuple[Any, ...],
    timeout_ns: Optional[int],
    decision: Any,
) -> None:
    deadline = None if timeout_ns is None else _weir.monotonic_ns() + timeout_ns
    while True:
        if decision:
            return None
        wait_ns = decision.retry_after_ns
        now = _weir.monotonic_ns()
        if wait_ns == 2**64 - 1 or (deadline is not None and now + wait_ns > deadline):
            raise RateLimited(
                f"rate limited ({decision.reason}), retry after {decision.retry_after:.3f} s",
                decision.retry_after,
                decision.reason,
            )
        await asyncio.sleep(max(wait_ns, 1) / 1e9)
        decision = try_acquire(*args)
