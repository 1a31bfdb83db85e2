#!/usr/bin/env python3
"""Writes an OCI image layout holding a Wasm plugin in the form Istio's
WasmPlugin pulls (the "compat" variant of the Wasm image spec): one
tar+gzip layer whose only file is plugin.wasm, the manifest annotated
`module.wasm.image/variant: compat`. Standard media types throughout, so
`skopeo copy oci:DIR:TAG docker://REGISTRY/weir-filter:TAG` pushes it to any
registry. The bytes depend only on the module and the tag: no clock, no
owner, no gzip timestamp.

    oci.py WASM LAYOUT_DIR TAG SOURCE_URL
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import sys
import tarfile
from pathlib import Path


def blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def layer_tar(wasm: bytes) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("plugin.wasm")
        info.size, info.mode, info.mtime = len(wasm), 0o644, 0
        tar.addfile(info, io.BytesIO(wasm))
    return raw.getvalue()


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    wasm, layout, tag, source = Path(sys.argv[1]).read_bytes(), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    if layout.exists():
        shutil.rmtree(layout)
    (layout / "blobs" / "sha256").mkdir(parents=True)
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))

    tar = layer_tar(wasm)
    layer = blob(layout, gzip.compress(tar, compresslevel=9, mtime=0))
    config = blob(layout, json.dumps({
        # The OCI convention for Wasm modules (no CPU, WASI preview 1).
        "architecture": "wasm",
        "os": "wasip1",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(tar).hexdigest()}"]},
    }, sort_keys=True).encode())
    manifest = blob(layout, json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
        "annotations": {
            "module.wasm.image/variant": "compat",
            "org.opencontainers.image.title": "weir-filter",
            "org.opencontainers.image.version": tag,
            "org.opencontainers.image.source": source,
        },
    }, sort_keys=True).encode())
    (layout / "index.json").write_text(json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            **manifest,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    }, sort_keys=True))


if __name__ == "__main__":
    main()
