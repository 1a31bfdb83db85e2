"""weir for ASGI (Starlette, FastAPI, any ASGI app): a middleware that runs
every HTTP request through a `weir.Policy`, and a decorator for one endpoint.

    app = FastAPI()
    app.add_middleware(weir.asgi.WeirMiddleware, policy=weir.Policy.from_file("policy.json"),
                       key_func=lambda request: request.headers.get("x-api-key"))

A refused request is answered with the verdict's status, headers
(`retry-after`, `x-ratelimit-*`, `x-weir-rule`) and body; the app never sees
it. An admitted one reaches the app with the verdict's request headers added
(the picked cluster, the upstream timeout) and the verdict in
`scope["state"]["weir"]` (`request.state.weir` in Starlette); its outcome is
reported when the response starts (the status, the time since the check),
or as a reset when the request is cancelled before that."""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional, Tuple, TypeVar

from ._adapt import PolicyLike, as_policy, refusal_body, refusal_headers, with_query
from ._hooks import OnRefused, notify_refused, notify_refused_async
from ._policy import Policy, Verdict

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
KeyFunc = Callable[[Any], Optional[str]]
F = TypeVar("F", bound=Callable[..., Any])


def _request_factory() -> Callable[[Scope], Any]:
    """key_func gets a Starlette `Request` where Starlette is installed (as
    slowapi's does), else the ASGI scope."""
    try:
        from starlette.requests import Request
    except ImportError:
        return lambda scope: scope
    return lambda scope: Request(scope)


def _encoded(pairs: List[Tuple[str, str]]) -> List[Tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]


async def _refuse(send: Send, verdict: Verdict) -> None:
    body = refusal_body(verdict)
    headers = _encoded(refusal_headers(verdict))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": verdict.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _admitted_scope(scope: Scope, verdict: Verdict) -> Scope:
    extra = verdict.request_headers
    if extra:
        scope = dict(scope)
        scope["headers"] = [*scope["headers"], *_encoded(extra)]
    state = scope.get("state")
    if state is None:
        state = scope["state"] = {}
    state["weir"] = verdict
    return scope


class WeirMiddleware:
    """ASGI middleware: `WeirMiddleware(app, policy, key_func=None, on_refused=None)`.

    `policy` is a `weir.Policy`, a JSON document (str, bytes, dict), a list of
    rules or a `pathlib.Path`; `key_func(request)` returns the caller key rules
    with `"key": "caller"` count under (None: no key). `on_refused(request,
    verdict)` (a function or a coroutine function) runs once a refusal is
    answered; what it raises is logged on the `weir` logger."""

    def __init__(
        self,
        app: ASGIApp,
        policy: PolicyLike,
        key_func: Optional[KeyFunc] = None,
        on_refused: Optional[OnRefused] = None,
    ) -> None:
        self.app = app
        self.policy: Policy = as_policy(policy)
        self.key_func = key_func
        self.on_refused = on_refused
        wants_request = key_func is not None or on_refused is not None
        self._request = _request_factory() if wants_request else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = None
        if self.key_func is not None and self._request is not None:
            key = self.key_func(self._request(scope))
        client = scope.get("client")
        verdict = self.policy.check(
            scope["method"],
            with_query(scope["path"], scope.get("query_string")),
            scope["headers"],
            client[0] if client else None,
            key,
        )
        if not verdict.admitted:
            await _refuse(send, verdict)
            if self.on_refused is not None and self._request is not None:
                await notify_refused_async(self.on_refused, self._request(scope), verdict)
            return
        scope = _admitted_scope(scope, verdict)
        answer_headers = _encoded(verdict.headers)
        started = False

        async def send_and_report(message: Message) -> None:
            nonlocal started
            if not started and message["type"] == "http.response.start":
                started = True
                if answer_headers:
                    message = dict(message)
                    message["headers"] = [*message.get("headers", ()), *answer_headers]
                verdict.report(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_report)
        except BaseException as error:
            if not started:
                started = True
                # A cancelled request got no answer (a reset); a crash is the 500 the server sends.
                verdict.report(None if isinstance(error, asyncio.CancelledError) else 500)
            raise
        if not started:
            verdict.report(None)


def _find_request(args: Tuple[Any, ...], kwargs: Dict[str, Any], name: str) -> Any:
    from starlette.requests import Request

    for value in (*args, *kwargs.values()):
        if isinstance(value, Request):
            return value
    raise TypeError(f"weir.asgi.guard: endpoint {name} needs a `request: Request` parameter for weir to read")


def _error_status(error: BaseException) -> Optional[int]:
    """What the client is answered when an endpoint raises: an HTTP
    exception's own status, a reset when cancelled, else a 500."""
    if isinstance(error, asyncio.CancelledError):
        return None
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else 500


def guard(
    policy: PolicyLike, *, key_func: Optional[KeyFunc] = None, on_refused: Optional[OnRefused] = None
) -> Callable[[F], F]:
    """A decorator for one Starlette / FastAPI endpoint that takes a
    `request: Request` parameter (as slowapi's `limit` does): the endpoint
    runs only when the policy admits the request; `on_refused(request,
    verdict)` runs for each refusal."""
    checked = as_policy(policy)

    def wrap(endpoint: F) -> F:
        from starlette.responses import Response

        def check(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Tuple[Verdict, Any]:
            request = _find_request(args, kwargs, endpoint.__name__)
            client = request.client
            verdict = checked.check(
                request.method,
                with_query(request.url.path, request.scope.get("query_string")),
                request.scope["headers"],
                client.host if client else None,
                key_func(request) if key_func is not None else None,
            )
            if verdict.admitted:
                return verdict, None
            refusal = Response(refusal_body(verdict), verdict.status, dict(refusal_headers(verdict)))
            notify_refused(on_refused, request, verdict)
            return verdict, refusal

        def answered(verdict: Verdict, response: Any) -> Any:
            verdict.report(getattr(response, "status_code", 200))
            headers = getattr(response, "headers", None)
            if headers is not None:
                for name, value in verdict.headers:
                    headers[name] = value
            return response

        if inspect.iscoroutinefunction(endpoint):

            @functools.wraps(endpoint)
            async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                verdict, refusal = check(args, kwargs)
                if refusal is not None:
                    return refusal
                try:
                    response = await endpoint(*args, **kwargs)
                except BaseException as error:
                    verdict.report(_error_status(error))
                    raise
                return answered(verdict, response)

            return guarded_async  # type: ignore[return-value]

        @functools.wraps(endpoint)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            verdict, refusal = check(args, kwargs)
            if refusal is not None:
                return refusal
            try:
                response = endpoint(*args, **kwargs)
            except BaseException as error:
                verdict.report(_error_status(error))
                raise
            return answered(verdict, response)

        return guarded  # type: ignore[return-value]

    return wrap


__all__ = ["WeirMiddleware", "guard"]
