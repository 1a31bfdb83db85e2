#!/usr/bin/env bash
# The Envoy filter: weir_filter.wasm, its sha256 (what Envoy's remote data
# source and Istio's WasmPlugin `sha256` check), and an OCI image layout of
# it as Istio's WasmPlugin pulls it. Checked with skopeo: the layout
# inspects as an image of one layer, and the plugin.wasm in that layer is
# the module byte for byte.
#
#   ci/dist/envoy.sh [TARGET...]    writes $out/envoy/ (one module serves every platform)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
quietly need_rust_target wasm32-wasip1
need_apt skopeo
dir="$out/envoy"
rm -rf "$dir"
mkdir -p "$dir"

say "envoy: weir_filter.wasm"
quietly cargo build --release --target wasm32-wasip1 -p weir-filter
cp "$target_dir/wasm32-wasip1/release/weir_filter.wasm" "$dir/"
check_size "$dir/weir_filter.wasm" "$max_wasm"
(cd "$dir" && sha256sum weir_filter.wasm >weir_filter.wasm.sha256)

say "envoy: OCI image layout (oci:$dir/oci:$version)"
repository="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["workspace"]["package"]["repository"])' "$root/Cargo.toml")"
python3 "$root/ci/dist/oci.py" "$dir/weir_filter.wasm" "$dir/oci" "$version" "$repository"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
skopeo inspect "oci:$dir/oci:$version" >"$work/inspect.json"
skopeo inspect --raw "oci:$dir/oci:$version" >"$work/manifest.json"
skopeo copy --quiet "oci:$dir/oci:$version" "dir:$work/copy"
python3 - "$work" "$dir/weir_filter.wasm" <<'PY'
import gzip, hashlib, io, json, sys, tarfile
from pathlib import Path
work, wasm = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes()
inspect = json.loads((work / "inspect.json").read_text())
manifest = json.loads((work / "manifest.json").read_text())
def need(ok, what):
    if not ok:
        sys.exit(f"dist: the OCI image {what}")
need(len(inspect["Layers"]) == 1, f"has {len(inspect['Layers'])} layers, not one")
need((inspect["Os"], inspect["Architecture"]) == ("wasip1", "wasm"), f"is for {inspect['Os']}/{inspect['Architecture']}")
need(manifest.get("annotations", {}).get("module.wasm.image/variant") == "compat", "lacks the compat variant annotation")
layer = work / "copy" / inspect["Layers"][0].split(":", 1)[1]
with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layer.read_bytes()))) as tar:
    need(tar.getnames() == ["plugin.wasm"], f"layer holds {tar.getnames()}, not plugin.wasm alone")
    got = tar.extractfile("plugin.wasm").read()
need(hashlib.sha256(got).digest() == hashlib.sha256(wasm).digest(), "layer's plugin.wasm differs from weir_filter.wasm")
print(f"    skopeo: {inspect['Digest']}, one layer holding plugin.wasm ({len(got)} bytes), variant compat", file=sys.stderr)
PY
