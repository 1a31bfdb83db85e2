"""on_refused in every Python adapter: called once per refusal with the
framework's request and the verdict, after the refusal is answered; a hook
that raises is logged and the client still gets the refusal."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, List, Tuple

import django  # type: ignore[import-untyped]
import httpx
import pytest
from django.conf import settings  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from flask import Flask

import weir
import weir.asgi
import weir.django
import weir.wsgi

RULES = [{"name": "tiny", "match": {"path_prefix": "/"}, "limit": {"rate": 1, "per": "1h", "burst": 1}}]

if not settings.configured:
    settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], INSTALLED_APPS=[], DATABASES={}, ROOT_URLCONF=__name__)
    django.setup()
urlpatterns: List[Any] = []


class Hooks:
    def __init__(self, raising: bool) -> None:
        self.seen: List[Tuple[Any, weir.Verdict]] = []
        self.raising = raising

    def __call__(self, request: Any, verdict: weir.Verdict) -> None:
        self.seen.append((request, verdict))
        if self.raising:
            raise RuntimeError("a hook's bug")


@pytest.mark.parametrize("raising", [False, True])
def test_asgi_middleware_and_guard(raising: bool, caplog: pytest.LogCaptureFixture) -> None:
    hook = Hooks(raising)
    app = FastAPI()
    app.add_middleware(weir.asgi.WeirMiddleware, policy=weir.Policy({"rules": RULES}), on_refused=hook)
    guarded_hook = Hooks(raising)

    @app.get("/a")
    def a() -> str:
        return "ok"

    guarded = FastAPI()

    @guarded.get("/b")
    @weir.asgi.guard({"rules": RULES}, on_refused=guarded_hook)
    async def b(request: Request) -> str:
        return "ok"

    async def run() -> List[int]:
        statuses = []
        for target, path in ((app, "/a"), (guarded, "/b")):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=target), base_url="http://t") as c:
                for _ in range(3):
                    statuses.append((await c.get(path)).status_code)
        return statuses

    with caplog.at_level(logging.ERROR, logger="weir"):
        assert asyncio.run(run()) == [200, 429, 429, 200, 429, 429]
    for h in (hook, guarded_hook):
        assert len(h.seen) == 2
        request, verdict = h.seen[0]
        assert isinstance(request, Request) and request.url.path in ("/a", "/b")
        assert (verdict.admitted, verdict.status, verdict.rule) == (False, 429, "tiny")
    assert len([r for r in caplog.records if "on_refused raised" in r.getMessage()]) == (4 if raising else 0)


def test_an_async_hook_is_awaited() -> None:
    seen: List[str] = []

    async def hook(request: Any, verdict: weir.Verdict) -> None:
        await asyncio.sleep(0)
        seen.append(verdict.rule or "")

    app = FastAPI()
    app.add_middleware(weir.asgi.WeirMiddleware, policy=weir.Policy({"rules": RULES}), on_refused=hook)

    async def run() -> List[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return [(await c.get("/")).status_code for _ in range(2)]

    assert asyncio.run(run()) == [404, 429]
    assert seen == ["tiny"]


@pytest.mark.parametrize("raising", [False, True])
def test_wsgi_middleware_and_guard(raising: bool, caplog: pytest.LogCaptureFixture) -> None:
    hook, guarded_hook = Hooks(raising), Hooks(raising)
    app = Flask(__name__)
    app.wsgi_app = weir.wsgi.WeirMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, weir.Policy({"rules": RULES}), on_refused=hook
    )

    @app.get("/a")
    def a() -> str:
        return "ok"

    other = Flask(__name__)

    @other.get("/b")
    @weir.wsgi.guard({"rules": RULES}, on_refused=guarded_hook)
    def b() -> str:
        return "ok"

    with caplog.at_level(logging.ERROR, logger="weir"):
        assert [app.test_client().get("/a").status_code for _ in range(3)] == [200, 429, 429]
        assert [other.test_client().get("/b").status_code for _ in range(3)] == [200, 429, 429]
    assert [v.rule for _, v in hook.seen] == ["tiny", "tiny"]
    assert [v.rule for _, v in guarded_hook.seen] == ["tiny", "tiny"]
    assert hook.seen[0][0].path == "/a", "the middleware's hook gets a werkzeug Request"
    assert len([r for r in caplog.records if "on_refused raised" in r.getMessage()]) == (4 if raising else 0)


def refused_in_django(request: Any, verdict: weir.Verdict) -> None:
    DJANGO_SEEN.append((request.path, verdict.status))
    raise RuntimeError("a hook's bug")


DJANGO_SEEN: List[Tuple[str, int]] = []


def test_django_middleware_setting_and_guard(caplog: pytest.LogCaptureFixture) -> None:
    from django.http import HttpResponse  # type: ignore[import-untyped]
    from django.test import RequestFactory, override_settings  # type: ignore[import-untyped]

    DJANGO_SEEN.clear()
    factory = RequestFactory()
    with override_settings(WEIR_POLICY={"rules": RULES}, WEIR_ON_REFUSED=f"{__name__}.refused_in_django"):
        middleware = weir.django.WeirMiddleware(lambda request: HttpResponse("ok"))
    guarded_hook = Hooks(False)
    view = weir.django.guard({"rules": RULES}, on_refused=guarded_hook)(lambda request: HttpResponse("ok"))
    with caplog.at_level(logging.ERROR, logger="weir"):
        assert [middleware(factory.get("/m")).status_code for _ in range(3)] == [200, 429, 429]
        assert [view(factory.get("/v")).status_code for _ in range(3)] == [200, 429, 429]
    assert DJANGO_SEEN == [("/m", 429), ("/m", 429)]
    assert [(r.path, v.status) for r, v in guarded_hook.seen] == [("/v", 429), ("/v", 429)]
    assert len([r for r in caplog.records if "on_refused raised" in r.getMessage()]) == 2
