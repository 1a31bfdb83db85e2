"""The adapters' on-refusal hook: `on_refused(request, verdict)` runs after
the refusal is answered; an exception in it is logged on the `weir` logger,
never raised into the server or the client's answer."""

from __future__ import annotations

import inspect
import logging
from typing import Any, Callable, Optional

from ._policy import Verdict

OnRefused = Callable[[Any, Verdict], Any]

_log = logging.getLogger("weir")


def notify_refused(hook: Optional[OnRefused], request: Any, verdict: Verdict) -> None:
    if hook is None:
        return
    try:
        hook(request, verdict)
    except Exception:
        _log.exception("weir: on_refused raised for a refusal by rule %r", verdict.rule)


async def notify_refused_async(hook: Optional[OnRefused], request: Any, verdict: Verdict) -> None:
    """As `notify_refused`; a hook that returns an awaitable is awaited."""
    if hook is None:
        return
    try:
        result = hook(request, verdict)
        if inspect.isawaitable(result):
            await result
    except Exception:
        _log.exception("weir: on_refused raised for a refusal by rule %r", verdict.rule)
