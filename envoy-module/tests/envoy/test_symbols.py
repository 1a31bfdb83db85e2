"""The module imports only callbacks this Envoy release exports, and
exports every hook this release looks up (Envoy refuses a module that lacks
one; a missing callback would fail the load with an unresolved symbol)."""
from __future__ import annotations

import re
import subprocess

from harness import envoy_binary
from module import MODULE


def symbols(path: str, *flags: str) -> set[str]:
    out = subprocess.run(["nm", "-D", *flags, path], check=True, capture_output=True, text=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


def test_the_module_imports_only_what_this_envoy_exports():
    imported = {s for s in symbols(str(MODULE), "--undefined-only") if s.startswith("envoy_")}
    exported = symbols(envoy_binary(), "--defined-only")
    assert imported, "the module calls into Envoy"
    assert imported <= exported, sorted(imported - exported)


def test_the_module_exports_every_hook_this_envoy_looks_up():
    with open(envoy_binary(), "rb") as f:
        # Names sit in string tables, some run together without a NUL:
        # a name ends where the next begins or a non-name byte follows.
        found = re.findall(rb"envoy_dynamic_module_on_(?:http_filter_|program_init)[a-z_]*?(?=envoy_|[^a-z_])", f.read())
    named = {n.decode() for n in found}
    # A name glued to a word after it ("..._completesource") is that name.
    looked_up = {n for n in named if not any(o != n and n.startswith(o) for o in named)}
    defined = symbols(str(MODULE), "--defined-only")
    assert "envoy_dynamic_module_on_program_init" in looked_up
    assert looked_up <= defined, sorted(looked_up - defined)
