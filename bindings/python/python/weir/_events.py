"""What a primitive's decisions meant, handed to the callbacks given to
`on(event, callback)` of `Shedder`, `Throttle`, `RetryBudget` and
`KeyedLimiter`."""

from __future__ import annotations

from typing import NamedTuple


class Event(NamedTuple):
    """One event. `kind` is `"refused"` or the start or end of a state
    (`"dropping_started"` / `"dropping_stopped"`, `"refusing_started"` /
    `"refusing_stopped"`, `"budget_exhausted"` / `"budget_recovered"`,
    `"table_full"` / `"table_recovered"`). `reason` is the refusal behind
    it. `refusals`: for `"refused"`, the refusals counted into it (a listener
    that keeps up sees 1); for a state's end, the refusals while it lasted.
    `since_ns` is when a state began (otherwise `at_ns`); both are on
    `weir.monotonic_ns()`'s clock."""

    kind: str
    reason: str
    at_ns: int
    refusals: int
    since_ns: int
