"""FastAPI behind weir: examples/policy.json on every request, its counters
on /metrics under the filter's Prometheus names.

    pip install 'weir[fastapi,prometheus]' uvicorn
    python examples/python/fastapi_app.py        # http://127.0.0.1:8000/api/items

WEIR_POLICY names another policy file; PORT another port."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Optional

import prometheus_client
import uvicorn
from fastapi import FastAPI, Request, Response

import weir
import weir.asgi
import weir.prometheus

POLICY = Path(os.environ.get("WEIR_POLICY", Path(__file__).resolve().parent.parent / "policy.json"))

policy = weir.Policy.from_file(str(POLICY))
registry = prometheus_client.CollectorRegistry()
registry.register(weir.prometheus.PolicyCollector(policy))


def api_key(request: Request) -> Optional[str]:
    return request.headers.get("x-api-key")


app = FastAPI()
app.add_middleware(weir.asgi.WeirMiddleware, policy=policy, key_func=api_key)


@app.get("/api/items")
async def items(request: Request) -> Dict[str, str]:
    verdict = request.state.weir
    return {"items": "[]", "cluster": verdict.upstream or ""}


@app.get("/metrics")
async def metrics() -> Response:
    return Response(prometheus_client.generate_latest(registry), media_type=prometheus_client.CONTENT_TYPE_LATEST)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")), log_level="warning")
