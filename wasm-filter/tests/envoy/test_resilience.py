"""The breaker, fallback and gutter rules and the no-retry marker in a real
Envoy (the wasm filter, or the dynamic module through `loader`), against
loopback upstreams. One worker, so one breaker and one picker see every
request (they are per worker, as the throttle is)."""
from __future__ import annotations

import pytest

from harness import DIRECT_OK, Envoy, Upstream, bootstrap, cluster_route, request, upstream_cluster

FLUSH = "100ms"


@pytest.fixture
def upstreams():
    made: list[Upstream] = []

    def make() -> Upstream:
        made.append(Upstream())
        return made[-1]

    yield make
    for u in made:
        u.close()


def plugin(*rules: dict) -> dict:
    return {"stats_flush": FLUSH, "rules": list(rules)}


def test_breaker_opens_and_answers_503_with_retry_after_and_no_retry(loader, upstreams):
    up = upstreams()
    up.status = 503
    rule = {"name": "up", "breaker": {"consecutive_failures": 3, "open_duration": "30s"}}
    config = bootstrap([loader.filter(plugin(rule))], {"match": {"prefix": "/"}, "route": {"cluster": "up"}},
                       [upstream_cluster("up", up.port)])
    with Envoy(config, concurrency=1) as envoy:
        for _ in range(3):
            status, headers, _ = request(envoy.port)
            assert status == 503 and "x-weir-rule" not in headers, "the upstream's own 503s"
        status, headers, body = request(envoy.port)
        assert status == 503, body
        assert b'breaker_open by rule "up"' in body
        assert headers["x-weir-no-retry"] == "1"
        assert 29 <= int(headers["retry-after"]) <= 30
        assert up.hits == 3, "an open breaker sends nothing upstream"
        stats = envoy.settled_stats(lambda s: s.get(loader.stat("up", "breaker_open")) == 1)
        assert stats[loader.stat("up", "breaker_trips")] == 1
        assert stats[loader.stat("up", "breaker_failures")] == 3


def test_an_upstream_answer_marked_no_retry_does_not_open_the_breaker(loader, upstreams):
    up = upstreams()
    up.status = 503
    up.headers = {"x-weir-no-retry": "1"}
    rule = {"name": "b", "breaker": {"consecutive_failures": 2, "open_duration": "30s"}}
    config = bootstrap([loader.filter(plugin(rule))], {"match": {"prefix": "/"}, "route": {"cluster": "up"}},
                       [upstream_cluster("up", up.port)])
    with Envoy(config, concurrency=1) as envoy:
        for _ in range(6):
            status, headers, _ = request(envoy.port)
            assert status == 503 and headers.get("x-weir-no-retry") == "1"
        assert up.hits == 6, "an overload decided further down is not this upstream failing"
        stats = envoy.settled_stats(lambda s: s.get(loader.stat("b", "breaker_no_retry")) == 6)
        assert stats.get(loader.stat("b", "breaker_open"), 0) == 0


def test_fallback_answers_a_refusal_or_routes_it_to_a_degraded_cluster(loader, upstreams):
    main, degraded = upstreams(), upstreams()
    rules = [
        {"name": "catalog", "match": {"path_prefix": "/catalog"}, "limit": {"rate": 1, "per": "1h"},
         "fallback": {"status": 200, "body": "cached catalog\n", "headers": {"x-served-from": "fallback"}}},
        {"name": "orders", "match": {"path_prefix": "/orders"}, "limit": {"rate": 1, "per": "1h"},
         "fallback": {"cluster": "degraded"}},
    ]
    config = bootstrap([loader.filter(plugin(*rules))], cluster_route("x-weir-cluster"),
                       [upstream_cluster("main", main.port), upstream_cluster("degraded", degraded.port)])
    with Envoy(config, concurrency=1) as envoy:
        to_main = {"x-weir-cluster": "main"}
        assert request(envoy.port, "/catalog", to_main)[0] == 200
        status, headers, body = request(envoy.port, "/catalog", to_main)
        assert (status, body) == (200, b"cached catalog\n")
        assert headers["x-served-from"] == "fallback"
        assert headers["x-weir-fallback"] == "rate_limited"
        assert "x-weir-no-retry" not in headers, "a 200 is not an overload answer"
        assert main.hits == 1
        assert request(envoy.port, "/orders", to_main)[0] == 200
        assert request(envoy.port, "/orders", to_main)[0] == 200
        assert (main.hits, degraded.hits) == (2, 1), "the refused order went to the degraded cluster"
        envoy.settled_stats(lambda s: s.get(loader.stat("catalog", "fallback")) == 1
                            and s.get(loader.stat("orders", "fallback")) == 1)


def test_the_gutter_serves_when_every_primary_is_hot_within_its_own_limit(loader, upstreams):
    a, b, gutter = upstreams(), upstreams(), upstreams()
    for hot in (a, b):
        hot.headers = {"x-weir-cpu": "950"}
    rule = {"name": "edge", "pick": {"clusters": ["a", "b"], "cpu_ceiling": 800,
                                     "gutter": {"clusters": ["g"], "limit": {"rate": 5, "per": "1h"}}}}
    config = bootstrap([loader.filter(plugin(rule))], cluster_route("x-weir-cluster"),
                       [upstream_cluster("a", a.port), upstream_cluster("b", b.port), upstream_cluster("g", gutter.port)])
    with Envoy(config, concurrency=1) as envoy:
        sent = 0
        while a.hits == 0 or b.hits == 0:
            assert request(envoy.port)[0] == 200
            sent += 1
            assert sent < 50, (a.hits, b.hits)
        assert gutter.hits == 0, "the gutter waits until every primary is hot"
        assert a.last_headers["x-weir-pool"] == "primary"
        for _ in range(5):
            assert request(envoy.port)[0] == 200
        assert gutter.hits == 5 and a.hits + b.hits == sent
        assert gutter.last_headers["x-weir-pool"] == "gutter"
        status, headers, body = request(envoy.port)
        assert status == 503 and b"gutter_full" in body, "the gutter's own limit holds"
        assert headers["x-weir-no-retry"] == "1"
        stats = envoy.settled_stats(lambda s: s.get(loader.stat("edge", "gutter_full")) == 1)
        assert stats[loader.stat("edge", "gutter")] == 5
        assert stats[loader.stat("edge", "picked.g")] == 5


def test_every_overload_answer_carries_the_no_retry_marker(loader):
    rule = {"name": "q", "limit": {"rate": 1, "per": "1h"}}
    config = bootstrap([loader.filter(plugin(rule))], DIRECT_OK)
    with Envoy(config, concurrency=1) as envoy:
        assert request(envoy.port)[0] == 200
        status, headers, _ = request(envoy.port)
        assert (status, headers.get("x-weir-no-retry")) == (429, "1")


def test_a_refused_grpc_request_gets_grpcs_do_not_retry(loader):
    rule = {"name": "rpc", "limit": {"rate": 1, "per": "1h"}}
    config = bootstrap([loader.filter(plugin(rule))], DIRECT_OK)
    grpc = {"content-type": "application/grpc"}
    with Envoy(config, concurrency=1) as envoy:
        request(envoy.port, "/pkg.Svc/Call", grpc)
        status, headers, _ = request(envoy.port, "/pkg.Svc/Call", grpc)
        # Envoy answers a gRPC request's local reply as trailers-only: HTTP
        # 200 with the status in grpc-status, weir's headers beside it.
        assert status == 200 and "grpc-status" in headers, headers
        if loader.name == "wasm":
            # proxy-wasm lets Envoy map 429 to UNAVAILABLE. The dynamic-module
            # ABI's send_response passes grpc_status 0 to sendLocalReply in
            # every release the module supports, so there the client reads
            # OK: the module's README says so.
            assert headers["grpc-status"] == "14", headers
        assert headers["grpc-retry-pushback-ms"] == "-1"
        assert headers["x-weir-no-retry"] == "1"
