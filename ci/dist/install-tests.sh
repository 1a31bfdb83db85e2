#!/usr/bin/env bash
# The install tests of the x86_64 release artifacts, run by the install
# suite through ci/dist/without-rust.sh: each artifact installed as a user
# installs it, then its smoke program (ci/dist/smoke/) makes real decisions.
#   Python  a fresh venv, `pip install` of the manylinux wheel (no index)
#   Node    a fresh project, `npm install` of the main and linux-x64-gnu
#           tarballs (offline: nothing else is needed); npm refuses the musl
#           package on glibc; the main package alone fails with the message
#           that says cargo is missing
#   Go      a consumer module against the module tree with `replace`
#   C       the gnu and musl tarballs through pkg-config (musl-gcc, run by
#           Debian's musl loader), and the `make install` prefix
#   musl    no musl Python or Node can be had here (Alpine's userland comes
#           from Alpine's mirrors, which this machine cannot reach): the musl
#           wheel and addon are checked for their tags and linkage
#
#   ci/dist/install-tests.sh PYTHON DIST PREFIX VERSION
set -euo pipefail
here="$(dirname "$(readlink -f "$0")")"
python="$1" dist="$2" prefix="$3" version="$4"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A failing step ends the script, so at the end every step counted has passed.
passed=0
step() {
  let passed+=1
  printf -- '--> install: %s\n' "$*"
}
fail() {
  printf 'install: %s\n' "$*" >&2
  exit 1
}

for tool in cargo rustc rustup; do
  ! command -v "$tool" >/dev/null || fail "$tool is reachable at $(command -v "$tool")"
done
[[ ! -e "$HOME/.cargo" && ! -e "$HOME/.rustup" ]] || fail "HOME ($HOME) holds a Rust toolchain"
step "no cargo, rustc or rustup on PATH; HOME=$HOME is empty"

step "python: pip install of the manylinux wheel into a fresh venv"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-index "$dist"/python/weir-"$version"-*manylinux*_x86_64*.whl
"$work/venv/bin/python" "$here/smoke/smoke.py" "$version"

npm_install() { npm install --offline --no-audit --no-fund --loglevel=error "$@"; }
step "node: npm install of weir and its linux-x64-gnu package into a fresh project"
mkdir "$work/node" && cd "$work/node"
npm init -y >/dev/null
npm_install "$dist/node/weir-$version.tgz" "$dist/node/weir-linux-x64-gnu-$version.tgz"
cp "$here/smoke/smoke.js" .
node smoke.js "$version" weir-linux-x64-gnu
if npm_install "$dist/node/weir-linux-x64-musl-$version.tgz" >"$work/musl.log" 2>&1; then
  fail "npm installed the musl package on glibc"
fi
grep -q EBADPLATFORM "$work/musl.log" || fail "npm refused the musl package for another reason: $(cat "$work/musl.log")"
echo "npm refuses weir-linux-x64-musl here (EBADPLATFORM: libc glibc)"

step "node: the main package alone (no prebuilt addon fits) without cargo"
mkdir "$work/node-bare" && cd "$work/node-bare"
npm init -y >/dev/null
if npm_install "$dist/node/weir-$version.tgz" >"$work/bare.log" 2>&1; then
  fail "npm install succeeded with neither a prebuilt addon nor cargo"
fi
grep -q 'needs cargo, which is not installed' "$work/bare.log" || fail "the failed install does not say cargo is missing: $(cat "$work/bare.log")"
grep -o 'weir: no prebuilt addon.*' "$work/bare.log" | head -1

step "go: a consumer module of the module tree (replace, no proxy)"
"$here/go-smoke.sh" "$dist/go" amd64 "$version"

for target in x86_64-unknown-linux-gnu x86_64-unknown-linux-musl; do
  step "c: $target tarball through pkg-config"
  tar -xzf "$dist/c/weir-$version-$target.tar.gz" -C "$work"
  "$here/c-smoke.sh" "$work/weir-$version-$target" "$target" "$version"
done
step "c: the make install prefix through pkg-config"
"$here/c-smoke.sh" "$prefix" x86_64-unknown-linux-gnu "$version"

step "musl: the musllinux wheel and the linux-x64-musl addon, by their tags and linkage"
"$python" - "$dist" "$version" <<'PY'
import io, subprocess, sys, tarfile, tempfile, zipfile
from pathlib import Path
dist, version = Path(sys.argv[1]), sys.argv[2]

def needed(data: bytes) -> list[str]:
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["readelf", "-d", "-V", f.name], capture_output=True, text=True, check=True).stdout
    if "GLIBC_" in out:
        sys.exit("install: a musl binary refers to glibc symbol versions")
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]

[wheel] = dist.glob(f"python/weir-{version}-*musllinux_1_2_x86_64.whl")
with zipfile.ZipFile(wheel) as z:
    tags = [l.split(": ", 1)[1] for l in z.read(f"weir-{version}.dist-info/WHEEL").decode().splitlines() if l.startswith("Tag: ")]
    [so] = [n for n in z.namelist() if n.endswith(".so")]
    libs = needed(z.read(so))
if tags != ["cp39-abi3-musllinux_1_2_x86_64"] or libs != ["libc.musl-x86_64.so.1"]:
    sys.exit(f"install: musl wheel tagged {tags}, needing {libs}")
print(f"{wheel.name}: tag {tags[0]}, {so} needs only {libs[0]}")
with tarfile.open(dist / f"node/weir-linux-x64-musl-{version}.tgz") as t:
    addon = t.extractfile("package/weir.linux-x64-musl.node").read()
    import json
    pkg = json.load(t.extractfile("package/package.json"))
libs = needed(addon)
if (pkg["os"], pkg["cpu"], pkg["libc"]) != (["linux"], ["x64"], ["musl"]) or libs != ["libc.musl-x86_64.so.1"]:
    sys.exit(f"install: musl addon package {pkg['os']}/{pkg['cpu']}/{pkg['libc']}, needing {libs}")
print(f"weir-linux-x64-musl: os linux, cpu x64, libc musl; weir.linux-x64-musl.node needs only {libs[0]}")
PY
echo "install: $passed passed, 0 failed"
