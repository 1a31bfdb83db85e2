"""weir for WSGI (Flask, any WSGI app): a middleware that runs every request
through a `weir.Policy`, and a decorator for one Flask view.

    app.wsgi_app = weir.wsgi.WeirMiddleware(app.wsgi_app, policy=weir.Policy.from_file("policy.json"),
                                            key_func=lambda request: request.headers.get("x-api-key"))

A refused request is answered with the verdict's status, headers
(`retry-after`, `x-ratelimit-*`, `x-weir-rule`) and body; the app never sees
it. An admitted one reaches the app with the verdict's request headers added
and the verdict in `environ["weir.verdict"]`; its outcome is reported when
the app starts the response (the status, the time since the check), or as a
reset when the response is closed before it started."""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, TypeVar

from ._adapt import PolicyLike, as_policy, refusal_body, refusal_headers, status_line, with_query
from ._hooks import OnRefused, notify_refused
from ._policy import Policy, Verdict

Environ = Dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
KeyFunc = Callable[[Any], Optional[str]]
F = TypeVar("F", bound=Callable[..., Any])


def _request_factory() -> Callable[[Environ], Any]:
    """key_func gets a werkzeug `Request` where werkzeug (Flask) is installed,
    else the WSGI environ."""
    try:
        from werkzeug.wrappers import Request
    except ImportError:
        return lambda environ: environ
    return lambda environ: Request(environ)


def environ_headers(environ: Environ) -> Iterator[Tuple[str, str]]:
    """The request headers as (name, value) pairs, read from the environ only
    if the policy asks for them."""
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            yield name[5:].replace("_", "-").lower(), value
    if "CONTENT_TYPE" in environ:
        yield "content-type", environ["CONTENT_TYPE"]
    if "CONTENT_LENGTH" in environ:
        yield "content-length", environ["CONTENT_LENGTH"]


def _environ_name(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class _ReportOnClose:
    """The app's body when it has not started the response yet (a
    generator): the response starts on the first item, and a close before
    that is a reset."""

    def __init__(self, body: Iterable[bytes], unreported: Callable[[], bool], verdict: Verdict) -> None:
        self._body = body
        self._unreported = unreported
        self._verdict = verdict

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            if self._unreported():
                self._verdict.report(None)


class WeirMiddleware:
    """WSGI middleware: `WeirMiddleware(app, policy, key_func=None, on_refused=None)`.

    `policy` is a `weir.Policy`, a JSON document (str, bytes, dict), a list of
    rules or a `pathlib.Path`; `key_func(request)` returns the caller key rules
    with `"key": "caller"` count under (None: no key). `on_refused(request,
    verdict)` runs once a refusal is answered; what it raises is logged on
    the `weir` logger."""

    def __init__(
        self,
        app: WSGIApp,
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

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        key = None
        if self.key_func is not None and self._request is not None:
            key = self.key_func(self._request(environ))
        verdict = self.policy.check(
            environ["REQUEST_METHOD"],
            with_query(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), environ.get("QUERY_STRING")),
            environ_headers(environ),
            environ.get("REMOTE_ADDR"),
            key,
        )
        if not verdict.admitted:
            refusal = refusal_body(verdict)
            headers = refusal_headers(verdict)
            headers.append(("content-length", str(len(refusal))))
            start_response(status_line(verdict.status), headers)
            if self.on_refused is not None and self._request is not None:
                notify_refused(self.on_refused, self._request(environ), verdict)
            return [refusal]
        for name, value in verdict.request_headers:
            environ[_environ_name(name)] = value
        environ["weir.verdict"] = verdict
        answer_headers = verdict.headers
        started = False

        def start_and_report(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal started
            if not started:
                started = True
                verdict.report(int(status[:3]))
                if answer_headers:
                    headers = [*headers, *answer_headers]
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start_and_report)
        except BaseException:
            if not started:
                started = True
                verdict.report(500)
            raise
        if started:
            return body
        return _ReportOnClose(body, lambda: not started, verdict)


def guard(
    policy: PolicyLike, *, key_func: Optional[KeyFunc] = None, on_refused: Optional[OnRefused] = None
) -> Callable[[F], F]:
    """A decorator for one Flask view: the view runs only when the policy
    admits `flask.request`; `key_func(flask.request)` gives the caller key,
    `on_refused(flask.request, verdict)` runs for each refusal."""
    checked = as_policy(policy)

    def wrap(view: F) -> F:
        from flask import make_response, request

        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            environ = request.environ
            verdict = checked.check(
                request.method,
                with_query(request.path, environ.get("QUERY_STRING")),
                environ_headers(environ),
                request.remote_addr,
                key_func(request) if key_func is not None else None,
            )
            if not verdict.admitted:
                notify_refused(on_refused, request, verdict)
                return refusal_body(verdict), verdict.status, refusal_headers(verdict)
            try:
                response = make_response(view(*args, **kwargs))
            except BaseException as error:
                code = getattr(error, "code", None)
                verdict.report(code if isinstance(code, int) else 500)
                raise
            verdict.report(response.status_code)
            for name, value in verdict.headers:
                response.headers[name] = value
            return response

        return guarded  # type: ignore[return-value]

    return wrap


__all__ = ["WeirMiddleware", "environ_headers", "guard"]
