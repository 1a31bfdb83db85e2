"""Flask behind weir: examples/policy.json on every request through the WSGI
middleware (any WSGI app takes it the same way).

    pip install 'weir[flask]'
    python examples/python/flask_app.py          # http://127.0.0.1:8000/api/items

WEIR_POLICY names another policy file; PORT another port."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional

from flask import Flask, g, request

import weir
import weir.wsgi

POLICY = Path(os.environ.get("WEIR_POLICY", Path(__file__).resolve().parent.parent / "policy.json"))

policy = weir.Policy.from_file(str(POLICY))


def api_key(req: Any) -> Optional[str]:
    # werkzeug's Request, built from the WSGI environ before Flask sees it.
    key: Optional[str] = req.headers.get("x-api-key")
    return key


app = Flask(__name__)
app.wsgi_app = weir.wsgi.WeirMiddleware(app.wsgi_app, policy=policy, key_func=api_key)  # type: ignore[method-assign]


@app.get("/api/items")
def items() -> Dict[str, Any]:
    # The picked cluster arrives as a request header the policy added.
    g.cluster = request.headers.get("x-weir-cluster", "")
    return {"items": [], "cluster": g.cluster}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
