#!/usr/bin/env bash
# The npm packages, as napi-rs projects ship them: one package per platform
# holding its prebuilt addon (weir-linux-x64-gnu, ...: package.json's
# napi.targets, each with npm/<tag>/), and the main package `weir`, whose
# optionalDependencies name them all so npm installs the one whose os, cpu
# and libc fit. The main package also carries the Rust sources (rust/), built
# by its install script where no prebuilt addon fits.
#
#   ci/dist/node.sh TARGET...    writes $out/node/*.tgz
set -euo pipefail
source "$(dirname "$0")/lib.sh"
node_dir="$root/bindings/node"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out/node"

read -ra shipped < <(node -p "require('$node_dir/package.json').napi.targets.join(' ')")
tag_of() { node -p "require('$node_dir/lib/addon').tagOfTarget('$1')"; }

# package.json's napi.targets is the one list of platforms: each has its
# npm/<tag>/package.json, whose name, os, cpu and libc say the same.
node - "$node_dir" <<'JS'
const path = require('node:path');
const dir = process.argv[2];
const main = require(path.join(dir, 'package.json'));
const { tagOfTarget } = require(path.join(dir, 'lib', 'addon.js'));
for (const target of main.napi.targets) {
  const tag = tagOfTarget(target);
  const [, cpu, abi] = tag.split('-');
  const sub = require(path.join(dir, 'npm', tag, 'package.json'));
  const want = { name: `${main.name}-${tag}`, main: `weir.${tag}.node`, os: 'linux', cpu, libc: abi === 'gnu' ? 'glibc' : 'musl' };
  const got = { name: sub.name, main: sub.main, os: String(sub.os), cpu: String(sub.cpu), libc: String(sub.libc) };
  for (const key of Object.keys(want)) {
    if (want[key] !== got[key]) {
      throw new Error(`bindings/node/npm/${tag}/package.json: ${key} is ${got[key]}, want ${want[key]} (for ${target})`);
    }
  }
}
JS

for target in "$@"; do
  [[ " ${shipped[*]} " == *" $target "* ]] || continue
  tag="$(tag_of "$target")"
  say "node: weir-$tag ($target)"
  built="$(zig_build weir-node "$target")/libweir_node.so"
  pkg="$stage/$tag"
  cp -r "$node_dir/npm/$tag" "$pkg"
  addon="$pkg/weir.$tag.node"
  cp "$built" "$addon"
  rename_musl_libc "$addon" "$target"
  check_linkage "$addon" "$target"
  check_size "$addon" "$max_node_addon"
  (cd "$out/node" && npm pack --silent "$pkg" >/dev/null)
done

say "node: weir (main package)"
main="$stage/weir"
mkdir -p "$main"
cp -r "$node_dir"/{index.js,index.mjs,index.d.ts,lib,scripts,README.md,package.json} "$main/"
python3 "$root/ci/dist/rust_sources.py" "$main/rust" weir-node
node - "$main/package.json" "$version" <<'EOF'
// The prebuilt packages become optional dependencies of exactly this version.
const fs = require('node:fs');
const [file, version] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
const { tagOfTarget } = require(require('node:path').join(require('node:path').dirname(file), 'lib', 'addon.js'));
pkg.optionalDependencies = Object.fromEntries(pkg.napi.targets.map((t) => [`${pkg.name}-${tagOfTarget(t)}`, version]));
fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
EOF
(cd "$out/node" && npm pack --silent "$main" >/dev/null)
ls "$out/node"/weir-"$version".tgz >/dev/null
