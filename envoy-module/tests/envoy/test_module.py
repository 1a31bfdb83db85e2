"""libweir_envoy.so in a real Envoy, on loopback only, beyond what the wasm
filter's real-Envoy tests run against it (exact limits at 2 and 4 workers,
429 answers, a refused configuration, shedding, throttling, p2c): keys,
costs, shadow mode, deadlines and a panic contained in a hook."""
from __future__ import annotations

import time
import urllib.error

from harness import DIRECT_OK, Envoy, Upstream, bootstrap, request, upstream_cluster
from module import module_filter, stat_name


def settled(envoy: Envoy, name: str) -> int:
    """A counter once it stops moving (a stream's counters reach Envoy when it completes)."""
    last = envoy.stats().get(name, 0)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = envoy.stats().get(name, 0)
        if now == last:
            return now
        last = now
    return last


def test_keyed_limits_and_cost_header():
    keyed = {"name": "user", "match": {"path_prefix": "/user"},
             "limit": {"rate": 1, "per": "1h", "burst": 1, "key": {"header": "x-user"}}}
    weighted = {"name": "weighted", "match": {"path_prefix": "/weighted"},
                "limit": {"rate": 1, "per": "1h", "burst": 10, "cost_header": "x-weight"}}
    config = bootstrap([module_filter({"rules": [keyed, weighted]})], DIRECT_OK)
    with Envoy(config, concurrency=2) as envoy:
        assert request(envoy.port, "/user", {"x-user": "alice"})[0] == 200
        assert request(envoy.port, "/user", {"x-user": "alice"})[0] == 429
        assert request(envoy.port, "/user", {"x-user": "bob"})[0] == 200
        assert request(envoy.port, "/weighted", {"x-weight": "8"})[0] == 200
        status, headers, _ = request(envoy.port, "/weighted", {"x-weight": "3"})
        assert (status, headers["x-ratelimit-remaining"]) == (429, "2")
        assert request(envoy.port, "/weighted", {"x-weight": "2"})[0] == 200


def test_client_address_keys_and_shadow_mode():
    rules = [
        {"name": "client", "match": {"path_prefix": "/client"},
         "limit": {"rate": 1, "per": "1h", "burst": 2, "key": "client_address"}},
        {"name": "shadow", "mode": "shadow", "match": {"path_prefix": "/shadow"},
         "limit": {"rate": 1, "per": "1h", "burst": 1}},
    ]
    config = bootstrap([module_filter({"rules": rules})], DIRECT_OK)
    with Envoy(config, concurrency=1) as envoy:
        assert [request(envoy.port, "/client")[0] for _ in range(3)] == [200, 200, 429]
        assert [request(envoy.port, "/shadow")[0] for _ in range(3)] == [200, 200, 200]
        assert settled(envoy, stat_name("shadow", "shadow_limited")) == 2
        assert settled(envoy, stat_name("shadow", "admitted")) == 1


def test_deadline_is_set_upstream_and_an_exhausted_one_answered_504():
    seen: list[str | None] = []
    upstream = Upstream()
    handler = upstream.server.RequestHandlerClass
    original = handler.do_GET

    def record(self):  # the upstream notes the timeout Envoy's router got
        seen.append(self.headers.get("x-envoy-expected-rq-timeout-ms"))
        original(self)

    handler.do_GET = record
    try:
        rule = {"name": "dl", "deadline": {"timeout": "2s", "margin": "100ms"}}
        config = bootstrap([module_filter({"rules": [rule]})], {"match": {"prefix": "/"}, "route": {"cluster": "up"}},
                           [upstream_cluster("up", upstream.port)])
        with Envoy(config, concurrency=1) as envoy:
            assert request(envoy.port)[0] == 200
            assert seen == ["1900"], seen
            status, _, body = request(envoy.port, "/", {"grpc-timeout": "50m"})
            assert status == 504 and body == b'weir: deadline_exceeded by rule "dl"\n'
            assert settled(envoy, stat_name("dl", "deadline_exceeded")) == 1
    finally:
        upstream.close()


def test_a_panic_in_a_hook_is_contained_and_envoy_serves_on():
    plugin = {"debug": {"trap_on_header": "x-weir-trap"},
              "rules": [{"name": "lim", "match": {"path_prefix": "/limited"}, "limit": {"rate": 1, "per": "1h", "burst": 2}}]}
    config = bootstrap([module_filter(plugin)], DIRECT_OK)
    with Envoy(config, concurrency=1) as envoy:
        assert request(envoy.port, "/limited")[0] == 200
        try:
            status = request(envoy.port, "/", {"x-weir-trap": "1"})[0]
        except (urllib.error.URLError, ConnectionError) as e:
            raise AssertionError(f"the panic reached Envoy: {e}\n{envoy.logs()[-2000:]}")
        assert status == 200, "a contained panic lets the request go on"
        assert envoy.proc.poll() is None
        assert request(envoy.port, "/limited")[0] == 200
        assert request(envoy.port, "/limited")[0] == 429
        assert "request_headers panicked and was contained" in envoy.logs()
