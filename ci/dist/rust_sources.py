#!/usr/bin/env python3
"""Copies the crates one package builds from into DEST as a workspace of
their own, for packages that build from source where no prebuilt binary
fits (the npm package's rust/). Crates keep their paths relative to the
workspace root, so path dependencies resolve unchanged; each manifest loses
what only the repository's tests and benches use (dev-dependencies, test and
bench targets), and the workspace keeps the root's package fields, shared
dependencies, release profile and Cargo.lock.

    rust_sources.py DEST CRATE_DIR...     (CRATE_DIR relative to the root)
"""
from __future__ import annotations

import re
import shutil
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


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    dest, members = Path(sys.argv[1]), sys.argv[2:]
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
