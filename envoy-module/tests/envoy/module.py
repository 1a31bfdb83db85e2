"""libweir_envoy.so in a real Envoy: the filter entry that loads it with a
weir JSON configuration, next to the wasm filter's harness (same Envoy
process handling, loopback upstreams, wrk). WEIR_ENVOY_MODULE_DIR names the
folder holding the build for this venv's Envoy release."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "wasm-filter/tests/envoy"))

MODULE_DIR = Path(os.environ.get("WEIR_ENVOY_MODULE_DIR", ROOT / "target/release"))
MODULE = MODULE_DIR / "libweir_envoy.so"
# Envoy finds a module by name in this folder; its processes inherit it.
os.environ["ENVOY_DYNAMIC_MODULES_SEARCH_PATH"] = str(MODULE_DIR)

# The counters' prefix: Envoy's default namespace for dynamic modules.
STATS = "dynamicmodulescustom"


def module_filter(plugin_config: dict) -> dict:
    return {
        "name": "envoy.filters.http.dynamic_modules",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
            "dynamic_module_config": {"name": "weir_envoy"},
            "filter_name": "weir",
            "filter_config": {
                "@type": "type.googleapis.com/google.protobuf.StringValue",
                "value": json.dumps(plugin_config),
            },
        },
    }


def stat_name(rule: str, outcome: str) -> str:
    return f"{STATS}.weir.{rule}.{outcome}"
