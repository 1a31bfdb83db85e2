"""A trap in the filter under FAIL_RELOAD: Envoy keeps serving, reloads the
VM and enforces again with the shared state that survived the reload. The
trap is the test-only `debug.trap_on_header` switch."""
from __future__ import annotations

import time
import urllib.error

from harness import DIRECT_OK, Envoy, bootstrap, request, wasm_filter


def status_of(port: int, path: str = "/", headers: dict | None = None) -> int:
    try:
        return request(port, path, headers)[0]
    except (urllib.error.URLError, ConnectionError):
        return 0  # the connection was reset


def test_envoy_keeps_serving_when_the_filter_traps_under_fail_reload():
    plugin = {
        "debug": {"trap_on_header": "x-weir-trap"},
        "rules": [{"name": "lim", "match": {"path_prefix": "/limited"}, "limit": {"rate": 1, "per": "1h", "burst": 3}}],
    }
    config = bootstrap([wasm_filter(plugin, failure_policy="FAIL_RELOAD")], DIRECT_OK)
    with Envoy(config, concurrency=1) as envoy:
        assert status_of(envoy.port, "/limited") == 200
        assert status_of(envoy.port, "/limited") == 200
        assert status_of(envoy.port, "/", {"x-weir-trap": "1"}) != 200
        deadline = time.monotonic() + 20
        served = 0
        while time.monotonic() < deadline and served == 0:
            served = int(status_of(envoy.port) == 200)
            time.sleep(0.2)
        assert served, envoy.logs()[-3000:]
        # The reloaded VM enforces the same limit: one token was left.
        assert status_of(envoy.port, "/limited") == 200
        assert status_of(envoy.port, "/limited") == 429
        assert "trap" in envoy.logs().lower() or "unreachable" in envoy.logs().lower()
