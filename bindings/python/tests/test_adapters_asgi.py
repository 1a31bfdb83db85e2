"""weir.asgi against FastAPI served by uvicorn on 127.0.0.1, driven by httpx."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from typing import Any, Dict, Iterator, List, Tuple

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, StreamingResponse

import weir
import weir.asgi

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


def make_app(policy: weir.Policy) -> FastAPI:
    app = FastAPI()
    app.add_middleware(
        weir.asgi.WeirMiddleware, policy=policy, key_func=lambda request: request.headers.get("x-api-key")
    )

    @app.get("/api/item")
    async def item() -> Dict[str, str]:
        return {"ok": "yes"}

    @app.get("/keyed")
    async def keyed(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(request.state.weir.admitted))

    @app.get("/fail")
    async def fail() -> PlainTextResponse:
        return PlainTextResponse("down", status_code=503)

    @app.get("/free")
    async def free() -> PlainTextResponse:
        return PlainTextResponse("free")

    return app


@pytest.fixture
def served() -> Iterator[Tuple[str, weir.Policy]]:
    policy = weir.Policy({"rules": RULES})
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(policy), log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    try:
        yield f"http://127.0.0.1:{port}", policy
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


async def _hammer(base: str, path: str, clients: int, each: int) -> List[httpx.Response]:
    async def client() -> List[httpx.Response]:
        async with httpx.AsyncClient(base_url=base) as c:
            return [await c.get(path) for _ in range(each)]

    results = await asyncio.gather(*(client() for _ in range(clients)))
    return [r for rs in results for r in rs]


def test_eight_concurrent_clients_admit_exactly_the_burst(served: Tuple[str, weir.Policy]) -> None:
    base, policy = served
    responses = asyncio.run(_hammer(base, "/api/item", clients=8, each=5))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: BURST, 429: 40 - BURST}
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["retry-after"] == "3600"
    assert refused.headers["x-ratelimit-limit"] == str(BURST)
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-weir-rule"] == "api"
    assert refused.text == 'weir: rate_limited by rule "api"\n'
    assert policy.counters()["weir.api.admitted"] == BURST
    assert policy.counters()["weir.api.limited"] == 40 - BURST


def test_key_func_gives_each_caller_its_own_limit(served: Tuple[str, weir.Policy]) -> None:
    base, policy = served
    with httpx.Client(base_url=base) as c:
        alice = [c.get("/keyed", headers={"x-api-key": "alice"}) for _ in range(5)]
        bob = c.get("/keyed", headers={"x-api-key": "bob"})
    assert [r.status_code for r in alice] == [200, 200, 200, 429, 429]
    assert alice[0].text == "True"
    assert alice[0].headers["x-ratelimit-remaining"] == "2"
    assert alice[3].headers["x-weir-rule"] == "per_caller"
    assert bob.status_code == 200


def test_the_status_is_reported_when_the_response_starts(served: Tuple[str, weir.Policy]) -> None:
    base, policy = served
    with httpx.Client(base_url=base) as c:
        assert [c.get("/fail").status_code for _ in range(3)] == [503] * 3
        assert c.get("/free").status_code == 200
    assert policy.counters()["weir.upstream.throttle_passed"] == 3
    assert policy.counters()["weir.upstream.upstream_failures"] == 3


def test_a_request_cancelled_before_its_response_is_reported_as_a_reset() -> None:
    policy = weir.Policy({"rules": RULES})
    entered = asyncio.Event()

    async def stuck(scope: Any, receive: Any, send: Any) -> None:
        entered.set()
        await asyncio.sleep(3600)

    async def scenario() -> None:
        app = weir.asgi.WeirMiddleware(stuck, policy)
        scope = {"type": "http", "method": "GET", "path": "/fail", "headers": [], "client": ("127.0.0.1", 1)}

        async def receive() -> Dict[str, Any]:
            return {"type": "http.request"}

        async def send(message: Any) -> None:
            raise AssertionError("nothing is sent for a cancelled request")

        task = asyncio.ensure_future(app(scope, receive, send))
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert policy.counters()["weir.upstream.upstream_failures"] == 1


def test_a_streamed_response_is_reported_once_with_its_status() -> None:
    policy = weir.Policy({"rules": RULES})
    app = FastAPI()
    app.add_middleware(weir.asgi.WeirMiddleware, policy=policy)

    @app.get("/fail/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> Any:
            for part in (b"a", b"b"):
                yield part

        return StreamingResponse(chunks(), status_code=502)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get("/fail/stream")

    r = asyncio.run(call())
    assert (r.status_code, r.content) == (502, b"ab")
    assert policy.counters()["weir.upstream.upstream_failures"] == 1


def test_guard_protects_one_endpoint() -> None:
    policy = weir.Policy({"rules": [{"name": "one", "limit": {"rate": 1, "per": "1h", "burst": 2}}]})
    app = FastAPI()

    @app.get("/guarded")
    @weir.asgi.guard(policy)
    async def guarded(request: Request) -> Dict[str, str]:
        return {"ok": "yes"}

    @app.get("/open")
    async def open_() -> Dict[str, str]:
        return {"ok": "yes"}

    async def calls() -> List[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return [await c.get("/guarded") for _ in range(3)] + [await c.get("/open")]

    rs = asyncio.run(calls())
    assert [r.status_code for r in rs] == [200, 200, 429, 200]
    assert rs[0].json() == {"ok": "yes"}
    assert rs[2].headers["retry-after"] == "3600"
    assert rs[2].headers["x-weir-rule"] == "one"


def test_policy_may_be_given_as_rules_and_bad_ones_name_the_field() -> None:
    app = FastAPI()
    assert isinstance(weir.asgi.WeirMiddleware(app, RULES).policy, weir.Policy)
    with pytest.raises(weir.PolicyError, match="rate"):
        weir.asgi.WeirMiddleware(app, [{"name": "bad", "limit": {"rate": -1, "per": "1s"}}])
    with pytest.raises(TypeError, match="policy must be"):
        weir.asgi.WeirMiddleware(app, 42)  # type: ignore[arg-type]
