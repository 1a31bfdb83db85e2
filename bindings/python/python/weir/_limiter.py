"""Rate limits: the native classes plus decorators and
`async with`. The hot methods (`try_acquire`, `acquire_async` when admitted)
are the native ones, reached without any Python frame in between."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar, cast

from . import _weir

F = TypeVar("F", bound=Callable[..., Any])


def _wrap(fn: F, enter_sync: Callable[[], Any], enter_async: Callable[[], Any]) -> F:
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            await enter_async()
            return await fn(*args, **kwargs)

        return cast(F, run_async)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        enter_sync()
        return fn(*args, **kwargs)

    return cast(F, run)


class Limiter(_weir.Limiter):
    """A token-bucket rate limit (GCRA): `rate` tokens every `per` seconds,
    at most `burst` at once (default: `rate`). Thread-safe and exact.

    - `limiter.try_acquire(cost=1)` never waits; the decision is truthy when
      admitted and carries `retry_after`, `remaining`, `reset_after`.
    - `limiter.acquire(cost=1, timeout=None)` waits with the GIL released.
    - `await limiter.acquire_async(cost=1, timeout=None)`.
    - `with limiter:` / `async with limiter:` / `@limiter` wait for one token.
    """

    __slots__ = ()

    def __call__(self, fn: F) -> F:
        return _wrap(fn, self.__enter__, self.acquire_async)

    async def __aenter__(self) -> "Limiter":
        await self.acquire_async()
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class KeyedLimiter(_weir.KeyedLimiter):
    """One rate limit per key (str or bytes) in a table of fixed memory:
    `capacity` entries (default 4096, rounded up to a multiple of 8). When a
    new key finds its part of the table full of keys still spending, it is
    refused with reason `"table_full"` instead of evicting one.

    When callers choose the keys (a header, a path, a user name), pass
    `seed=` a secret (str or bytes): keys are then hashed under it, and no
    one without it can compute keys that fill another key's part. Without
    a seed the hash is public, and the table is open to such keys."""

    __slots__ = ()

    def limit(self, key: "str | bytes", cost: int = 1) -> Callable[[F], F]:
        """A decorator that waits for `cost` tokens of `key` before each call."""

        def decorate(fn: F) -> F:
            def enter() -> None:
                d = self.acquire(key, cost)
                if not d:
                    from ._errors import RateLimited

                    raise RateLimited(f"rate limited ({d.reason})", d.retry_after, d.reason)

            return _wrap(fn, enter, lambda: self.acquire_async(key, cost))

        return decorate


class MultiLimiter(_weir.MultiLimiter):
    """Several rates on one limiter, decided in one call:
    `MultiLimiter([(10, 1), (1000, 3600)])` is 10 a second and 1000 an hour
    (each `(rate, per)` or `(rate, per, burst)`, 1 to 4 of them). A request
    is admitted only if every rate admits it; a refusal spends from none.
    `set_rate(index, rate, per)` / `set_burst(index, burst)` change one rate
    live, keeping what it spent.
    """

    __slots__ = ()


class FleetLimiter(_weir.FleetLimiter):
    """`rate` tokens every `per` seconds across every process, on every
    machine, that uses the same Redis `key`. Each node leases batches of
    quota from Redis sized to its own recent rate and spends them locally
    (one Redis call per batch, not per request). While Redis is slow or
    down, each node admits `rate / nodes` on its own and never fails open.
    `bound` is the documented overshoot: at most `rate * (1 + bound)` per
    period while no more than `nodes` nodes share the key.

    Same surface as `weir.Limiter`: `try_acquire`, `acquire`,
    `acquire_async`, `with`, `async with`, `@fleet`. The clock is the
    limiter's own (leases expire on it), so there is no `now` argument.
    """

    __slots__ = ()

    def __call__(self, fn: F) -> F:
        return _wrap(fn, self.__enter__, self.acquire_async)

    async def __aenter__(self) -> "FleetLimiter":
        await self.acquire_async()
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None
