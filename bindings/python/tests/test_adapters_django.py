"""weir.django: the middleware and the view decorator in a Django project
configured here, driven by Django's test client from 8 threads."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Dict, List, Optional

import django  # type: ignore[import-untyped]
from django.conf import settings  # type: ignore[import-untyped]

import weir
import weir.django

BURST = 10
RULES: List[Dict[str, Any]] = [
    {"name": "api", "match": {"path_prefix": "/api"}, "limit": {"rate": 1, "per": "1h", "burst": BURST}},
    {
        "name": "per_caller",
        "match": {"path_prefix": "/keyed"},
        "limit": {"rate": 1, "per": "1h", "burst": 3, "key": "caller", "headers_on_success": True},
    },
    {"name": "upstream", "match": {"path_prefix": "/fail"}, "throttle": {"k": 1000, "failures": ["5xx"]}},
]


def api_key(request: Any) -> Optional[str]:
    value: Optional[str] = request.headers.get("x-api-key")
    return value


MIDDLEWARE_POLICY = weir.Policy({"rules": RULES})

if not settings.configured:
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["weir.django.WeirMiddleware"],
        WEIR_POLICY=MIDDLEWARE_POLICY,
        WEIR_KEY_FUNC=f"{__name__}.api_key",
        INSTALLED_APPS=[],
        DATABASES={},
    )
    django.setup()

from django.http import HttpRequest, HttpResponse  # type: ignore[import-untyped]  # noqa: E402
from django.test import Client  # type: ignore[import-untyped]  # noqa: E402
from django.urls import path  # type: ignore[import-untyped]  # noqa: E402


def item(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def keyed(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(getattr(request, "weir").admitted))


def fail(request: HttpRequest) -> HttpResponse:
    return HttpResponse("down", status=503)


GUARD_POLICY = weir.Policy({"rules": [{"name": "one", "limit": {"rate": 1, "per": "1h", "burst": 2}}]})


@weir.django.guard(GUARD_POLICY)
def guarded(request: HttpRequest) -> HttpResponse:
    return HttpResponse("guarded")


urlpatterns = [path("api/item", item), path("keyed", keyed), path("fail", fail), path("guarded", guarded)]


def test_eight_concurrent_clients_admit_exactly_the_burst() -> None:
    shared = Client()
    policy = MIDDLEWARE_POLICY
    statuses: List[int] = []
    refusals: List[Any] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(5):
            r = shared.get("/api/item")
            with lock:
                statuses.append(r.status_code)
                if r.status_code == 429:
                    refusals.append(r)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(statuses) == {200: BURST, 429: 40 - BURST}
    refused = refusals[0]
    assert refused["retry-after"] == "3600"
    assert refused["x-ratelimit-limit"] == str(BURST)
    assert refused["x-weir-rule"] == "api"
    assert refused.content == b'weir: rate_limited by rule "api"\n'
    assert policy.counters()["weir.api.admitted"] == BURST
    assert policy.counters()["weir.api.limited"] == 40 - BURST


def test_key_func_from_settings_and_reported_statuses() -> None:
    client = Client()
    policy = MIDDLEWARE_POLICY
    alice = [client.get("/keyed", HTTP_X_API_KEY="alice") for _ in range(5)]
    assert [r.status_code for r in alice] == [200, 200, 200, 429, 429]
    assert alice[0].content == b"True"
    assert alice[0]["x-ratelimit-remaining"] == "2"
    assert client.get("/keyed", HTTP_X_API_KEY="bob").status_code == 200
    before = policy.counters()["weir.upstream.upstream_failures"]
    assert [client.get("/fail").status_code for _ in range(3)] == [503] * 3
    assert policy.counters()["weir.upstream.upstream_failures"] == before + 3


def test_guard_protects_one_view() -> None:
    client = Client()
    rs = [client.get("/guarded") for _ in range(3)]
    assert [r.status_code for r in rs] == [200, 200, 429]
    assert rs[0].content == b"guarded"
    assert rs[2]["retry-after"] == "3600"
    assert rs[2]["x-weir-rule"] == "one"
