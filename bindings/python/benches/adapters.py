"""Per admitted request, weir.asgi against slowapi and weir.wsgi against
flask-limiter, in one run: each limiter's cost is the time of a request
through the app with it minus through the same app without it (in-process
calls, in-memory stores, one key, limits far above the load).

    python benches/adapters.py [seconds per case and round]"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, Callable, Dict, List

from fastapi import FastAPI, Request
from flask import Flask
from slowapi import Limiter
from slowapi.util import get_remote_address

import weir
import weir.asgi
import weir.wsgi

RULES = [{"name": "api", "limit": {"rate": 1_000_000_000, "per": "1s", "burst": 1_000_000_000}}]
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
ROUNDS = 5


def fastapi_app(kind: str) -> Any:
    app = FastAPI()
    if kind == "slowapi":
        limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")
        app.state.limiter = limiter

        @app.get("/item")
        @limiter.limit("1000000000/second")
        async def limited(request: Request) -> Dict[str, str]:
            return {}

        return app

    @app.get("/item")
    async def item() -> Dict[str, str]:
        return {}

    if kind == "weir":
        return weir.asgi.WeirMiddleware(app, RULES)
    return app


def asgi_rate(app: Any) -> float:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/item", "raw_path": b"/item", "root_path": "", "query_string": b"",
        "headers": [(b"host", b"t")], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
    }

    async def receive() -> Dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses: List[int] = []

    async def send(message: Dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def run() -> float:
        for _ in range(200):
            await app(dict(scope), receive, send)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < SECONDS:
            for _ in range(100):
                await app(dict(scope), receive, send)
            n += 100
        assert set(statuses) == {200}, set(statuses)
        return (time.perf_counter() - start) / n

    return asyncio.run(run())


def flask_app(kind: str) -> Any:
    app = Flask(__name__)
    if kind == "flask-limiter":
        from flask_limiter import Limiter as FlaskLimiter
        from flask_limiter.util import get_remote_address as flask_remote

        FlaskLimiter(flask_remote, app=app, default_limits=["1000000000/second"], storage_uri="memory://")

    @app.get("/item")
    def item() -> str:
        return "ok"

    if kind == "weir":
        app.wsgi_app = weir.wsgi.WeirMiddleware(app.wsgi_app, RULES)  # type: ignore[method-assign]
    return app


def wsgi_rate(app: Any) -> float:
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/item", "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "t", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": None, "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    statuses: List[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        statuses.append(status)
        return lambda b: None

    def call() -> None:
        body = app(dict(environ), start_response)
        for _ in body:
            pass
        getattr(body, "close", lambda: None)()

    for _ in range(200):
        call()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS:
        for _ in range(100):
            call()
        n += 100
    assert {s[:3] for s in statuses} == {"200"}, set(statuses)
    return (time.perf_counter() - start) / n


def report(runtime: str, rate: Callable[[Any], float], make: Callable[[str], Any], theirs: str, bar: float) -> bool:
    apps = {kind: make(kind) for kind in ("bare", "weir", theirs)}
    # Rounds interleaved and the fastest of each kept: a shared machine's
    # noise only ever adds time.
    best = {kind: float("inf") for kind in apps}
    for _ in range(ROUNDS):
        for kind, app in apps.items():
            best[kind] = min(best[kind], rate(app))
    bare, ours, other = best["bare"], best["weir"], best[theirs]
    # `<case> ns_per_op=<float>` lines for benches/report (the bars of issue 16).
    prefix = runtime.split()[0]
    for kind, seconds in best.items():
        print(f"{prefix}_{kind.replace('-', '_')} ns_per_op={seconds * 1e9:.1f}")
    # Below the run's noise a cost can come out negative: it counts as none.
    weir_cost, their_cost = max(ours - bare, 0.0), max(other - bare, 0.0)
    ratio = weir_cost / their_cost if their_cost else float("inf")
    print(
        f"{runtime}: app {bare * 1e6:.1f} us/request; per admitted request weir {(ours - bare) * 1e6:+.1f} us, "
        f"{theirs} {their_cost * 1e6:.1f} us: {ratio:.2f}x (bar <= {bar}x)"
    )
    return ratio <= bar


if __name__ == "__main__":
    ok = report("asgi (FastAPI)", asgi_rate, fastapi_app, "slowapi", 0.3)
    report("wsgi (Flask)", wsgi_rate, flask_app, "flask-limiter", 0.5)
    sys.exit(0 if ok else 1)
