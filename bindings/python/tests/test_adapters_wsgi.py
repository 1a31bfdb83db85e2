"""weir.wsgi against a Flask app served by werkzeug's threaded server on 127.0.0.1."""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

import weir
import weir.wsgi

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


def make_app(policy: weir.Policy) -> Flask:
    app = Flask(__name__)
    app.wsgi_app = weir.wsgi.WeirMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, policy, key_func=lambda r: r.headers.get("x-api-key")
    )

    @app.get("/api/item")
    def item() -> str:
        return "ok"

    @app.get("/keyed")
    def keyed() -> str:
        return str(request.environ["weir.verdict"].admitted)

    @app.get("/fail")
    def fail() -> Tuple[str, int]:
        return "down", 503

    @app.get("/fail/stream")
    def stream() -> Response:
        return Response((part for part in ("a", "b")), status=502)

    return app


@pytest.fixture
def served() -> Iterator[Tuple[int, weir.Policy]]:
    policy = weir.Policy({"rules": RULES})
    server = make_server("127.0.0.1", 0, make_app(policy), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, policy
    finally:
        server.shutdown()
        thread.join(10)


def get(port: int, path: str, headers: Dict[str, str] = {}) -> Tuple[int, Dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_eight_concurrent_clients_admit_exactly_the_burst(served: Tuple[int, weir.Policy]) -> None:
    port, policy = served
    results: List[Tuple[int, Dict[str, str], bytes]] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(5):
            r = get(port, "/api/item")
            with lock:
                results.append(r)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(status for status, _, _ in results) == {200: BURST, 429: 40 - BURST}
    _, headers, body = next(r for r in results if r[0] == 429)
    assert headers["retry-after"] == "3600"
    assert headers["x-ratelimit-limit"] == str(BURST)
    assert headers["x-ratelimit-remaining"] == "0"
    assert headers["x-weir-rule"] == "api"
    assert headers["content-type"].startswith("text/plain")
    assert body == b'weir: rate_limited by rule "api"\n'
    assert policy.counters()["weir.api.admitted"] == BURST
    assert policy.counters()["weir.api.limited"] == 40 - BURST


def test_key_func_gives_each_caller_its_own_limit(served: Tuple[int, weir.Policy]) -> None:
    port, _ = served
    alice = [get(port, "/keyed", {"x-api-key": "alice"}) for _ in range(5)]
    assert [status for status, _, _ in alice] == [200, 200, 200, 429, 429]
    assert alice[0][2] == b"True"
    assert alice[0][1]["x-ratelimit-remaining"] == "2"
    assert alice[3][1]["x-weir-rule"] == "per_caller"
    assert get(port, "/keyed", {"x-api-key": "bob"})[0] == 200


def test_the_status_is_reported_when_the_response_starts(served: Tuple[int, weir.Policy]) -> None:
    port, policy = served
    assert [get(port, "/fail")[0] for _ in range(3)] == [503] * 3
    assert get(port, "/fail/stream")[:3:2] == (502, b"ab")
    assert policy.counters()["weir.upstream.throttle_passed"] == 4
    assert policy.counters()["weir.upstream.upstream_failures"] == 4


def test_a_body_closed_before_the_response_started_is_a_reset() -> None:
    policy = weir.Policy({"rules": RULES})

    def lazy(environ: Dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"never"

    app = weir.wsgi.WeirMiddleware(lazy, policy)
    body = app({"REQUEST_METHOD": "GET", "PATH_INFO": "/fail"}, lambda *a: None)
    getattr(body, "close")()
    assert policy.counters()["weir.upstream.upstream_failures"] == 1


def test_guard_protects_one_flask_view() -> None:
    policy = weir.Policy({"rules": [{"name": "one", "limit": {"rate": 1, "per": "1h", "burst": 2}}]})
    app = Flask(__name__)

    @app.get("/guarded")
    @weir.wsgi.guard(policy)
    def guarded() -> str:
        return "ok"

    client = app.test_client()
    rs = [client.get("/guarded") for _ in range(3)]
    assert [r.status_code for r in rs] == [200, 200, 429]
    assert rs[0].data == b"ok"
    assert rs[2].headers["retry-after"] == "3600"
    assert rs[2].headers["x-weir-rule"] == "one"
    assert client.get("/guarded", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
