"""`loader`: each test that takes it runs once per way of loading weir named
in WEIR_LOADERS (comma-separated: `wasm`, `module`; default `wasm`). The
Envoy suite runs the wasm filter; the envoy-module suite runs the module in
each Envoy release it supports."""
from __future__ import annotations

import os

import pytest

from harness import LOADERS

NAMES = [n for n in os.environ.get("WEIR_LOADERS", "wasm").split(",") if n]


@pytest.fixture(params=NAMES)
def loader(request):
    return LOADERS[request.param]
