'use strict';
// Finds the native addon. In order: the file WEIR_NODE_ADDON names; a
// weir.node next to the package (built from source by scripts/build.js);
// the prebuilt one of this platform's package (weir-linux-x64-gnu, ...),
// which npm installed as an optional dependency, skipping the others by
// their os/cpu/libc fields. Nothing here loads the addon until asked, so
// the install script can use it to decide whether to build.
const fs = require('node:fs');
const path = require('node:path');
const pkg = require('../package.json');

const ARCH = { x86_64: 'x64', aarch64: 'arm64' };

/** The platform tag of a Rust target: x86_64-unknown-linux-musl -> linux-x64-musl. */
function tagOfTarget(target) {
  const m = /^(\w+)-unknown-linux-(gnu|musl)$/.exec(target);
  if (!m || !ARCH[m[1]]) throw new Error(`weir: no npm platform for the Rust target ${target}`);
  return `linux-${ARCH[m[1]]}-${m[2]}`;
}

/** 'musl' or 'gnu' on Linux: which C library this Node runs on. */
function libc() {
  // glibc's ldd is a script naming glibc; musl's is the loader itself.
  try {
    const ldd = fs.readFileSync('/usr/bin/ldd', 'latin1');
    if (ldd.includes('musl')) return 'musl';
    if (ldd.includes('GLIBC') || ldd.includes('GNU C Library')) return 'gnu';
  } catch {
    // No ldd (slim images): ask Node which glibc it runs on, if any.
  }
  const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null;
  const header = typeof report === 'string' ? JSON.parse(report).header : report && report.header;
  return header && header.glibcVersionRuntime ? 'gnu' : 'musl';
}

/** This process's platform tag, e.g. linux-x64-gnu; null off Linux. */
function currentTag() {
  if (process.platform !== 'linux') return null;
  return `linux-${process.arch}-${libc()}`;
}

/** The tags weir ships prebuilt addons for. */
function shippedTags() {
  return ((pkg.napi && pkg.napi.targets) || []).map(tagOfTarget);
}

const packageOf = (tag) => `${pkg.name}-${tag}`;

function platformName() {
  return currentTag() || `${process.platform}-${process.arch}`;
}

/** Where the addon would load from, or null when none is there. */
function findAddon() {
  if (process.env.WEIR_NODE_ADDON) return process.env.WEIR_NODE_ADDON;
  const local = path.join(__dirname, '..', 'weir.node');
  if (fs.existsSync(local)) return local;
  const tag = currentTag();
  if (tag && shippedTags().includes(tag)) {
    try {
      return require.resolve(packageOf(tag));
    } catch {
      // Not installed (npm --omit=optional, or a lockfile from another platform).
    }
  }
  return null;
}

function missingMessage() {
  const tag = currentTag();
  const shipped = shippedTags();
  if (tag && shipped.includes(tag)) {
    return `the prebuilt package ${packageOf(tag)} is not installed (optional dependencies omitted, or a lockfile made on another platform?); reinstall weir, or build from source with \`npm rebuild weir\` (needs cargo)`;
  }
  return `no prebuilt addon for ${platformName()} (prebuilt: ${shipped.join(', ')}) and none built from source; \`npm rebuild weir\` builds one (needs cargo)`;
}

/** Loads the addon, or throws an Error that says what is missing and how to get it. */
function loadAddon() {
  const file = findAddon();
  if (!file) throw new Error(`weir: ${missingMessage()}`);
  try {
    return require(file);
  } catch (e) {
    throw new Error(`weir: could not load the native addon ${file} on ${platformName()}: ${e.message}`);
  }
}

module.exports = { tagOfTarget, libc, currentTag, shippedTags, packageOf, platformName, findAddon, loadAddon };
