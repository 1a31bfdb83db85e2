'use strict';
// Builds the native addon with cargo and places it next to index.js as
// weir.node. Runs from the install script, so it uses nothing but Node and
// cargo. The crate is bindings/node of a source checkout, or the copy of the
// workspace an npm package carries in rust/. CARGO_TARGET_DIR is honoured
// (CI points it at the workspace's target so the build is shared).
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { platformName, shippedTags, packageOf } = require('../lib/addon');

const pkg = path.resolve(__dirname, '..');
const manifest = [path.join(pkg, 'Cargo.toml'), path.join(pkg, 'rust', 'bindings', 'node', 'Cargo.toml')].find((f) =>
  fs.existsSync(f),
);
const cargo = process.env.CARGO || 'cargo';

function die(message) {
  console.error(`weir: ${message}`);
  process.exit(1);
}

if (!manifest) die('this package carries neither a prebuilt addon for this platform nor the Rust sources to build one');
const probe = spawnSync(cargo, ['--version'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) {
  const prebuilt = shippedTags().map(packageOf).join(', ');
  die(
    `no prebuilt addon fits ${platformName()} (prebuilt packages: ${prebuilt}), ` +
      `and building one from source needs cargo, which is not installed (${cargo}: ${probe.error ? probe.error.code : `exit ${probe.status}`}). ` +
      'Install Rust (https://rustup.rs) and run `npm rebuild weir`, or set CARGO to a cargo binary.',
  );
}

function targetDir() {
  if (process.env.CARGO_TARGET_DIR) return path.resolve(process.env.CARGO_TARGET_DIR);
  const meta = execFileSync(cargo, ['metadata', '--format-version', '1', '--no-deps', '--manifest-path', manifest], {
    cwd: pkg,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(meta).target_directory;
}

const libName = { darwin: 'libweir_node.dylib', win32: 'weir_node.dll' }[process.platform] || 'libweir_node.so';

try {
  execFileSync(cargo, ['build', '--release', '--manifest-path', manifest, '-p', 'weir-node'], { cwd: pkg, stdio: 'inherit' });
  const built = path.join(targetDir(), 'release', libName);
  const dest = path.join(pkg, 'weir.node');
  // Copy to a temporary name and rename: a running process keeps its mapping of the old file.
  fs.copyFileSync(built, `${dest}.tmp`);
  fs.renameSync(`${dest}.tmp`, dest);
  console.log(`weir: built ${dest}`);
} catch (e) {
  die(`could not build the native addon with ${cargo}: ${e.message}`);
}
