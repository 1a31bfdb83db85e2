"""Django behind weir, as one file: the settings a project adds (below, in
`settings.configure`) and a view. In a project's settings.py:

    MIDDLEWARE = ["weir.django.WeirMiddleware", ...]
    WEIR_POLICY = BASE_DIR / "policy.json"
    WEIR_KEY_FUNC = "myapp.keys.api_key"     # optional

    pip install 'weir[django]'
    python examples/python/django_app.py         # http://127.0.0.1:8000/api/items

WEIR_POLICY names another policy file; PORT another port."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional
from wsgiref.simple_server import make_server

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path


def api_key(request: HttpRequest) -> Optional[str]:
    return request.headers.get("x-api-key")


def items(request: Any) -> JsonResponse:
    return JsonResponse({"items": [], "rule_checked": request.weir.reason})


urlpatterns = [path("api/items", items)]

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["weir.django.WeirMiddleware"],
    WEIR_POLICY=Path(os.environ.get("WEIR_POLICY", Path(__file__).resolve().parent.parent / "policy.json")),
    WEIR_KEY_FUNC=f"{__name__}.api_key",
)
django.setup()

if __name__ == "__main__":
    from django.core.wsgi import get_wsgi_application

    with make_server("127.0.0.1", int(os.environ.get("PORT", "8000")), get_wsgi_application()) as server:
        server.serve_forever()
