#!/usr/bin/env python3
"""Copies a crate and the workspace crates it builds from (its path
dependencies, found by `cargo metadata`) into DEST as a workspace of their
own, for packages that build from source where no prebuilt binary fits (the
npm package's rust/). Crates keep their paths relative to the workspace
root, so path dependencies resolve unchanged; each manifest loses what only
the repository's tests and benches use (dev-dependencies, test and bench
targets), and the workspace keeps the root's package fields, shared
dependencies, release profile and Cargo.lock.

    rust_sources.py DEST PACKAGE
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Sections of a member manifest that name files or crates the copy lacks.
DROPPED = re.compile(r"^\[(dev-dependencies|target\.[^\]]+\.dev-dependencies)\]$|^\[\[(test|bench|example)\]\]$")


def member_manifest(text: str) -> str:
    out, dropping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            dropping = bool(DROPPED.match(line.strip()))
        if not dropping:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


def workspace_manifest(text: str, members: list[str]) -> str:
    listed = ", ".join(f'"{m}"' for m in members)
    text, n = re.subn(r"^members = \[.*?\]$", f"members = [{listed}]", text, count=1, flags=re.M | re.S)
    if n != 1:
        sys.exit("rust_sources: no `members = [...]` line in the workspace Cargo.toml")
    text = re.sub(r"^default-members = \[.*?\]\n", "", text, flags=re.M | re.S)
    # Profiles other than release concern the repository's benches.
    return re.sub(r"^\[profile\.(?!release\])[^\]]+\]\n(?:[^\[\n].*\n|\n)*", "", text, flags=re.M)


def local_crates(package: str) -> list[str]:
    """The folders (relative to the root) of `package` and of every workspace
    crate it depends on to build (normal and build dependencies, not dev)."""
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--manifest-path", str(ROOT / "Cargo.toml")],
        check=True, capture_output=True, text=True).stdout)
    local = {p["id"]: p for p in meta["packages"] if p["source"] is None}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    [start] = [i for i, p in local.items() if p["name"] == package] or [None]
    if start is None:
        sys.exit(f"rust_sources: no workspace crate named {package}")
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for dep in nodes[node]["deps"]:
            kinds = {k["kind"] for k in dep["dep_kinds"]}
            if dep["pkg"] in local and kinds & {None, "build"}:
                todo.append(dep["pkg"])
    return sorted(str(Path(local[i]["manifest_path"]).parent.relative_to(ROOT)) for i in seen)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    dest, members = Path(sys.argv[1]), local_crates(sys.argv[2])
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    root_manifest = (ROOT / "Cargo.toml").read_text()
    (dest / "Cargo.toml").write_text(workspace_manifest(root_manifest, members))
    shutil.copy2(ROOT / "Cargo.lock", dest / "Cargo.lock")
    for member in members:
        src = ROOT / member
        if not (src / "Cargo.toml").is_file():
            sys.exit(f"rust_sources: {member} is not a crate (no Cargo.toml)")
        (dest / member).mkdir(parents=True)
        (dest / member / "Cargo.toml").write_text(member_manifest((src / "Cargo.toml").read_text()))
        shutil.copytree(src / "src", dest / member / "src")
        if (src / "build.rs").is_file():
            shutil.copy2(src / "build.rs", dest / member / "build.rs")


if __name__ == "__main__":
    main()
