'use strict';
// Builds the native addon with cargo and places it next to index.js as
// weir.node. Runs as the package's install script, so it uses nothing but
// Node and cargo. CARGO_TARGET_DIR is honoured (CI points it at the
// workspace's target so the build is shared).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const pkg = path.resolve(__dirname, '..');
const manifest = path.join(pkg, 'Cargo.toml');
const cargo = process.env.CARGO || 'cargo';

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
  console.error(`weir: could not build the native addon (is cargo installed?): ${e.message}`);
  process.exit(1);
}
