"""Each example, as a user runs it: started on a free loopback port, one
request admitted by examples/policy.json, stopped."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(example: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / example)],
        env={"PORT": str(port), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        stop = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > stop:
                    _, err = proc.communicate(timeout=5)
                    raise AssertionError(f"{example} did not start: {err.decode()}")
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["fastapi_app.py", "flask_app.py", "django_app.py"])
def served(request: pytest.FixtureRequest) -> Iterator[str]:
    with serve(request.param) as base:
        yield base


def test_one_request_admitted_by_the_policy(served: str) -> None:
    response = httpx.get(f"{served}/api/items", timeout=5)
    assert response.status_code == 200, response.text
    # per_client answers admitted requests with its limit: burst 40.
    assert response.headers["x-ratelimit-limit"] == "40"
    assert response.headers["x-ratelimit-remaining"] == "39"


def test_a_burst_past_the_per_client_limit_is_refused(served: str) -> None:
    # per_client: burst 40, then 20/s. Eight clients at once until the first
    # 429, so a slow machine only adds what the rate refilled meanwhile.
    lock = threading.Lock()
    statuses: list[int] = []

    def client() -> None:
        with httpx.Client(timeout=5) as http:
            while True:
                with lock:
                    if 429 in statuses or len(statuses) >= 400:
                        return
                status = http.get(f"{served}/api/items").status_code
                with lock:
                    statuses.append(status)

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    refill = 20 * (time.monotonic() - started)
    admitted = statuses.count(200)
    assert 429 in statuses, statuses
    assert set(statuses) <= {200, 429}, statuses
    assert 40 <= admitted <= 40 + refill + 1, (admitted, refill)


def test_fastapi_metrics_carry_the_filters_names() -> None:
    with serve("fastapi_app.py") as base:
        assert httpx.get(f"{base}/api/items", timeout=5).status_code == 200
        scrape = httpx.get(f"{base}/metrics", timeout=5).text
    assert 'weir_admitted{weir_rule="per_client"} 1.0' in scrape, scrape
    # The scrape itself passed the catch-all rule "service" before it read the counters.
    assert 'weir_admitted{weir_rule="service"} 2.0' in scrape, scrape
