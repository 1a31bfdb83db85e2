'use strict';
// Loads the compiled addon and binds this thread's scratch buffer: F and B
// are two views (f64, u64) of the words every native call reads its inputs
// from and writes its answer to.
const { loadAddon } = require('./addon');
const { SLOTS, STATUS } = require('./layout');

const n = loadAddon();
const buffer = n.scratch();
if (!(buffer instanceof ArrayBuffer)) {
  // Runtimes built with V8's sandbox (Electron) refuse memory owned by an addon.
  throw new Error('weir: this runtime does not allow external ArrayBuffers, which the native calls need');
}
const F = new Float64Array(buffer);
const B = new BigUint64Array(buffer);
if (F.length !== SLOTS) throw new Error(`weir: the native addon's scratch buffer holds ${F.length} words, this package expects ${SLOTS}`);

const U64_MAX = 0xffffffffffffffffn;
const TWO_64 = 18446744073709551616; // 2^64 as a double: what u64::MAX reads as

// Status codes of constructors (see layout.js).
const { OK, CONFIG, FULL, SYSTEM } = STATUS;

module.exports = { n, F, B, U64_MAX, TWO_64, OK, CONFIG, FULL, SYSTEM };
