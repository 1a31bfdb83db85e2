"""libweir_envoy.so in a real Envoy: the wasm filter's harness (Envoy
processes, loopback upstreams, wrk) with the module's filter entry.
WEIR_ENVOY_MODULE_DIR names the folder holding the build for this venv's
Envoy release (read by the harness)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "wasm-filter/tests/envoy"))

from harness import LOADERS, MODULE_DIR, module_filter  # noqa: E402,F401

MODULE = MODULE_DIR / "libweir_envoy.so"


def stat_name(rule: str, outcome: str) -> str:
    return LOADERS["module"].stat(rule, outcome)
