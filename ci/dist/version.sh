#!/usr/bin/env bash
# The one version of every artifact is the workspace's
# `[workspace.package] version` in Cargo.toml. The places that must spell it
# out (the C header's macros, which cbindgen copies from literals in
# ffi/src/version.rs, and the npm manifests) are checked against it here.
# The Python wheel takes it from Cargo through maturin, the Go module from
# its tag (bindings/go/vX.Y.Z).
#
#   ci/dist/version.sh              prints the version
#   ci/dist/version.sh --check      fails, naming the file, where a copy differs
#   ci/dist/version.sh --set X.Y.Z  writes X.Y.Z everywhere and regenerates weir.h
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 - "$@" <<'EOF'
import json, re, sys, tomllib
from pathlib import Path

def workspace_version() -> str:
    return tomllib.loads(Path("Cargo.toml").read_text())["workspace"]["package"]["version"]

def npm_manifests() -> list[Path]:
    return [Path("bindings/node/package.json"), *sorted(Path("bindings/node/npm").glob("*/package.json"))]

def header_version() -> str:
    text = Path("ffi/src/version.rs").read_text()
    parts = [re.search(rf"WEIR_VERSION_{p}: u32 = (\d+);", text) for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(m.group(1) if m else "?" for m in parts)

def copies() -> dict[str, str]:
    found = {"ffi/src/version.rs": header_version()}
    h = Path("ffi/include/weir.h").read_text()
    found["ffi/include/weir.h"] = ".".join(
        (re.search(rf"#define WEIR_VERSION_{p} (\d+)", h) or [None, "?"])[1] for p in ("MAJOR", "MINOR", "PATCH"))
    for manifest in npm_manifests():
        pkg = json.loads(manifest.read_text())
        found[str(manifest)] = pkg["version"]
        for dep, want in pkg.get("optionalDependencies", {}).items():
            found[f"{manifest} optionalDependencies.{dep}"] = want
    return found

args = sys.argv[1:]
version = workspace_version()
if not args:
    print(version)
elif args == ["--check"]:
    wrong = {where: v for where, v in copies().items() if v != version}
    for where, v in wrong.items():
        print(f"{where} says {v}, the workspace version (Cargo.toml) is {version}: run ci/dist/version.sh --set {version}", file=sys.stderr)
    sys.exit(1 if wrong else 0)
elif len(args) == 2 and args[0] == "--set":
    new = args[1]
    m = re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)", new)
    if not m:
        sys.exit(f"version: {new!r} is not MAJOR.MINOR.PATCH (digits, no leading zeros)")
    cargo = Path("Cargo.toml")
    text = cargo.read_text()
    text, n = re.subn(r'(\[workspace\.package\][^\[]*?\nversion = ")[^"]*(")', rf"\g<1>{new}\g<2>", text, count=1)
    if n != 1:
        sys.exit("version: no `version = \"...\"` under [workspace.package] in Cargo.toml")
    cargo.write_text(text)
    rs = Path("ffi/src/version.rs")
    text = rs.read_text()
    for part, value in zip(("MAJOR", "MINOR", "PATCH"), m.groups()):
        text = re.sub(rf"(WEIR_VERSION_{part}: u32 = )\d+;", rf"\g<1>{value};", text)
    rs.write_text(text)
    for manifest in npm_manifests():
        pkg = json.loads(manifest.read_text())
        pkg["version"] = new
        for dep in pkg.get("optionalDependencies", {}):
            pkg["optionalDependencies"][dep] = new
        manifest.write_text(json.dumps(pkg, indent=2) + "\n")
    print(new)
else:
    sys.exit("usage: ci/dist/version.sh [--check | --set X.Y.Z]")
EOF

if [[ "${1:-}" == "--set" ]]; then
  cargo update --workspace --quiet
  ci/suites/40-ffi-go.sh --header
fi
