"""libweir_envoy.so in a real Envoy, on loopback only: exact limits across
2 and 4 workers, the wasm filter's answers and counters, keys, costs,
shadow mode, deadlines, throttling, p2c, a refused configuration and a
panic contained in a hook."""
from __future__ import annotations

import time
import urllib.error

import pytest

from harness import DIRECT_OK, Envoy, Upstream, bootstrap, cluster_route, request, upstream_cluster, wrk
from module import module_filter, stat_name


def limit_config(name: str, rate: int, per: str, burst: int, **extra) -> dict:
    return {"rules": [{"name": name, "limit": {"rate": rate, "per": per, "burst": burst, **extra}}]}


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


@pytest.mark.parametrize("workers", [2, 4])
def test_exact_admitted_count_across_workers_under_load(workers):
    burst = 500
    config = bootstrap([module_filter(limit_config("exact", 1, "1h", burst))], DIRECT_OK)
    with Envoy(config, concurrency=workers) as envoy:
        result = wrk(envoy.port, seconds=3, threads=2, connections=16)
        assert result["total"] > 2 * burst, result["raw"]
        assert result["total"] - result["non2xx"] == burst, result["raw"]
        stats = envoy.settled_stats(lambda s: s.get(stat_name("exact", "admitted")) == burst)
        assert stats[stat_name("exact", "admitted")] == burst
        assert stats["http.ingress.downstream_rq_2xx"] == burst
        assert settled(envoy, stat_name("exact", "limited")) == envoy.stats()["http.ingress.downstream_rq_4xx"]
        served = [v for k, v in stats.items() if k.endswith("downstream_cx_total") and ".worker_" in k and v > 0]
        assert len(served) >= 2, served


def test_refusal_is_429_with_retry_after_and_ratelimit_headers():
    config = bootstrap([module_filter(limit_config("api", 1, "10s", 2))], DIRECT_OK)
    with Envoy(config, concurrency=1) as envoy:
        assert request(envoy.port)[0] == 200
        assert request(envoy.port)[0] == 200
        status, headers, body = request(envoy.port)
        assert status == 429
        assert headers["retry-after"] == "10"
        assert headers["x-ratelimit-limit"] == "2"
        assert headers["x-ratelimit-remaining"] == "0"
        assert int(headers["x-ratelimit-reset"]) >= int(headers["retry-after"])
        assert headers["x-weir-rule"] == "api"
        assert body == b'weir: rate_limited by rule "api"\n'


def test_bad_configuration_is_refused_with_a_log_naming_rule_and_field():
    config = bootstrap([module_filter(limit_config("api", 5, "1s", 0))], DIRECT_OK)
    envoy = Envoy(config, concurrency=1, expect_start=False)
    try:
        code = envoy.wait_exit(timeout=30)
        logs = envoy.logs()
        assert code not in (None, 0), logs[-2000:]
        assert 'configuration refused: rule #1 "api": limit.burst must be' in logs, logs[-2000:]
    finally:
        envoy.close()


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


def test_throttling_engages_on_503s():
    upstream = Upstream()
    upstream.status = 503
    try:
        rule = {"name": "thr", "throttle": {"window": "1s", "buckets": 10, "min_requests": 10, "k": 2}}
        config = bootstrap([module_filter({"rules": [rule]})], {"match": {"prefix": "/"}, "route": {"cluster": "up"}},
                           [upstream_cluster("up", upstream.port)])
        with Envoy(config, concurrency=1) as envoy:
            failing = wrk(envoy.port, seconds=2, threads=1, connections=4)
            throttled = settled(envoy, stat_name("thr", "throttled"))
            assert throttled > failing["total"] // 2, (throttled, failing["raw"])
            assert failing["total"] <= upstream.hits + throttled <= failing["total"] + 4
    finally:
        upstream.close()


def test_p2c_sends_less_traffic_to_a_slow_cluster():
    fast, slow = Upstream(), Upstream()
    slow.latency = 0.05
    try:
        rule = {"name": "lb", "pick": {"clusters": ["fast", "slow"]}}
        config = bootstrap([module_filter({"rules": [rule]})], cluster_route("x-weir-cluster"),
                           [upstream_cluster("fast", fast.port), upstream_cluster("slow", slow.port)])
        with Envoy(config, concurrency=1) as envoy:
            result = wrk(envoy.port, seconds=3, threads=1, connections=8)
            assert result["non2xx"] == 0, result["raw"]
            assert fast.hits > 5 * slow.hits >= 5, (fast.hits, slow.hits)
            assert settled(envoy, stat_name("lb", "picked.fast")) == fast.hits
            assert settled(envoy, stat_name("lb", "picked.slow")) == slow.hits
    finally:
        fast.close()
        slow.close()


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
