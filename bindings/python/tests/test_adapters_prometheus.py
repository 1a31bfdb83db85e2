"""weir.prometheus: a policy's counters scraped under the filter's metric names."""

from __future__ import annotations

import asyncio
from typing import Dict

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, generate_latest

import weir
import weir.asgi
import weir.prometheus


def test_a_scrape_shows_the_filters_names_and_the_admitted_counts() -> None:
    policy = weir.Policy(
        {
            "rules": [
                {"name": "api", "match": {"path_prefix": "/api"}, "limit": {"rate": 1, "per": "1h", "burst": 3}},
                {"name": "route", "pick": {"clusters": ["a", "b"]}},
            ]
        }
    )
    app = FastAPI()
    app.add_middleware(weir.asgi.WeirMiddleware, policy=policy)

    @app.get("/api/x")
    async def x() -> Dict[str, str]:
        return {}

    async def calls() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            for _ in range(5):
                await c.get("/api/x")

    asyncio.run(calls())
    registry = CollectorRegistry()
    registry.register(weir.prometheus.PolicyCollector(policy))
    text = generate_latest(registry).decode()
    assert "# TYPE weir_admitted untyped" in text
    assert 'weir_admitted{weir_rule="api"} 3.0' in text
    assert 'weir_limited{weir_rule="api"} 2.0' in text
    picked = sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("weir_picked_"))
    assert picked == 3.0
    assert 'weir_picked_a{weir_rule="route"}' in text


def test_names_follow_envoys_stats_tag() -> None:
    assert weir.prometheus.metric_name("weir.per_client.admitted") == ("weir_admitted", "per_client")
    assert weir.prometheus.metric_name("weir.v1.api.limited") == ("weir_limited", "v1.api")
    assert weir.prometheus.metric_name("weir.svc.picked.service-a") == ("weir_picked_service_a", "svc")
