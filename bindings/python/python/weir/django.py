"""weir for Django: a middleware class that runs every request through a
`weir.Policy`, and a decorator for one view.

    # settings.py
    MIDDLEWARE = ["weir.django.WeirMiddleware", ...]
    WEIR_POLICY = pathlib.Path("policy.json")     # or a weir.Policy, a JSON document, a list of rules
    WEIR_KEY_FUNC = "myapp.keys.api_key"          # optional: key_func(request) -> str | None

A refused request is answered with the verdict's status, headers
(`retry-after`, `x-ratelimit-*`, `x-weir-rule`) and body; the view never sees
it. An admitted one reaches the view with the verdict's request headers in
`request.META` and the verdict as `request.weir`; its outcome is reported when
the response is returned (the status, the time since the check)."""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, TypeVar

from ._adapt import PolicyLike, as_policy, refusal_body, refusal_headers, with_query
from ._hooks import OnRefused, notify_refused
from ._policy import Policy, Verdict

KeyFunc = Callable[[Any], Optional[str]]
F = TypeVar("F", bound=Callable[..., Any])


def _meta_headers(meta: Dict[str, Any]) -> Iterator[Tuple[str, str]]:
    for name, value in meta.items():
        if name.startswith("HTTP_"):
            yield name[5:].replace("_", "-").lower(), value
    if "CONTENT_TYPE" in meta:
        yield "content-type", meta["CONTENT_TYPE"]


def _check(policy: Policy, request: Any, key_func: Optional[KeyFunc]) -> Verdict:
    meta = request.META
    return policy.check(
        request.method,
        with_query(request.path, meta.get("QUERY_STRING")),
        _meta_headers(meta),
        meta.get("REMOTE_ADDR"),
        key_func(request) if key_func is not None else None,
    )


def _refusal(verdict: Verdict) -> Any:
    from django.http import HttpResponse  # type: ignore[import-untyped]

    return HttpResponse(refusal_body(verdict), status=verdict.status, headers=dict(refusal_headers(verdict)))


def _admit(request: Any, verdict: Verdict) -> None:
    for name, value in verdict.request_headers:
        request.META["HTTP_" + name.upper().replace("-", "_")] = value
    request.weir = verdict


def _answered(verdict: Verdict, response: Any) -> Any:
    verdict.report(response.status_code)
    for name, value in verdict.headers:
        response[name] = value
    return response


def _setting(name: str) -> Any:
    """A setting that holds a callable or its dotted path, as the callable
    (None when unset)."""
    from django.conf import settings  # type: ignore[import-untyped]
    from django.utils.module_loading import import_string  # type: ignore[import-untyped]

    value = getattr(settings, name, None)
    return import_string(value) if isinstance(value, str) else value


class WeirMiddleware:
    """Django middleware reading `settings.WEIR_POLICY` and the optional
    `settings.WEIR_KEY_FUNC` and `settings.WEIR_ON_REFUSED` (each a callable
    or its dotted path; `on_refused(request, verdict)` runs once a refusal
    is answered, and what it raises is logged on the `weir` logger)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped]

        policy = getattr(settings, "WEIR_POLICY", None)
        if policy is None:
            raise ImproperlyConfigured("weir.django.WeirMiddleware needs settings.WEIR_POLICY")
        self.get_response = get_response
        self.policy = as_policy(policy)
        self.key_func: Optional[KeyFunc] = _setting("WEIR_KEY_FUNC")
        self.on_refused: Optional[OnRefused] = _setting("WEIR_ON_REFUSED")

    def __call__(self, request: Any) -> Any:
        verdict = _check(self.policy, request, self.key_func)
        if not verdict.admitted:
            refusal = _refusal(verdict)
            notify_refused(self.on_refused, request, verdict)
            return refusal
        _admit(request, verdict)
        try:
            response = self.get_response(request)
        except BaseException:
            verdict.report(500)
            raise
        return _answered(verdict, response)


def guard(
    policy: PolicyLike, *, key_func: Optional[KeyFunc] = None, on_refused: Optional[OnRefused] = None
) -> Callable[[F], F]:
    """A decorator for one Django view: the view runs only when the policy
    admits the request; `on_refused(request, verdict)` runs for each refusal."""
    checked = as_policy(policy)

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
            verdict = _check(checked, request, key_func)
            if not verdict.admitted:
                refusal = _refusal(verdict)
                notify_refused(on_refused, request, verdict)
                return refusal
            _admit(request, verdict)
            try:
                response = view(request, *args, **kwargs)
            except BaseException:
                verdict.report(500)
                raise
            return _answered(verdict, response)

        return guarded  # type: ignore[return-value]

    return wrap


__all__ = ["WeirMiddleware", "guard"]
