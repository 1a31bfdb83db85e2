"""weir in a real Envoy, on loopback only: the wasm filter (V8) and the
dynamic module, through the `loader` fixture."""
from __future__ import annotations

import time

import pytest

from harness import DIRECT_OK, Envoy, bootstrap, request, wrk



def limit_config(name: str, rate: int, per: str, burst: int, **extra) -> dict:
    return {"stats_flush": "100ms", "rules": [{"name": name, "limit": {"rate": rate, "per": per, "burst": burst, **extra}}]}


@pytest.mark.parametrize("workers", [2, 4])
def test_exact_admitted_count_across_workers_under_load(loader, workers):
    burst = 500
    admitted_stat, limited_stat = loader.stat("exact", "admitted"), loader.stat("exact", "limited")
    config = bootstrap([loader.filter(limit_config("exact", 1, "1h", burst))], DIRECT_OK)
    with Envoy(config, concurrency=workers) as envoy:
        result = wrk(envoy.port, seconds=3, threads=2, connections=16)
        # Counters reach Envoy on each worker's next flush tick.
        stats = envoy.settled_stats(
            lambda s: s.get(limited_stat, -1) == s.get("http.ingress.downstream_rq_4xx") and s.get(admitted_stat) == burst
        )
        assert result["total"] > 2 * burst, result["raw"]
        admitted = result["total"] - result["non2xx"]
        assert admitted == burst, result["raw"]
        assert stats[admitted_stat] == burst
        assert stats["http.ingress.downstream_rq_2xx"] == burst
        assert stats[limited_stat] == stats["http.ingress.downstream_rq_4xx"]
        # Two workers or more served traffic, so the count is exact across threads.
        served = [v for k, v in stats.items() if k.startswith("listener.127.0.0.1_") and k.endswith("downstream_cx_total") and ".worker_" in k]
        assert len([w for w in served if w > 0]) >= 2, served


def test_refusal_is_429_with_retry_after_and_ratelimit_headers(loader):
    config = bootstrap([loader.filter(limit_config("api", 1, "10s", 2))], DIRECT_OK)
    with Envoy(config, concurrency=1) as envoy:
        assert request(envoy.port)[0] == 200
        status, headers, _ = request(envoy.port)
        assert status == 200
        status, headers, body = request(envoy.port)
        assert status == 429
        assert 1 <= int(headers["retry-after"]) <= 10
        assert headers["x-ratelimit-limit"] == "2"
        assert headers["x-ratelimit-remaining"] == "0"
        assert int(headers["x-ratelimit-reset"]) >= int(headers["retry-after"])
        assert b'rule "api"' in body


def test_bad_configuration_is_refused_with_a_log_naming_rule_and_field(loader):
    config = bootstrap([loader.filter(limit_config("api", 5, "1s", 0))], DIRECT_OK)
    envoy = Envoy(config, concurrency=1, expect_start=False)
    try:
        code = envoy.wait_exit(timeout=30)
        logs = envoy.logs()
        assert code not in (None, 0), logs[-2000:]
        assert 'configuration refused: rule #1 "api": limit.burst must be' in logs, logs[-2000:]
    finally:
        envoy.close()
