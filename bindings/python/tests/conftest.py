from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "core" / "tests" / "vectors"


def vectors() -> List[Dict[str, Any]]:
    out = []
    for path in sorted(VECTORS.glob("*.json")):
        v = json.loads(path.read_text())
        v["_file"] = path.name
        out.append(v)
    return out
