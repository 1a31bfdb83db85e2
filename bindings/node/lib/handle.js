'use strict';
// Native objects live in process-wide tables; a JS wrapper holds an index.
// When the wrapper is collected, the registry drops its hold. `share()`
// gives worker threads what they need to hold the same object.
const { n, F, B } = require('./native');
const { CALL, STATUS, CREATED, TABLE, KIND } = require('./layout');
const { rangeError, typeError } = require('./errors');

const ATTACH = Symbol('attach');

const { isMainThread } = require('node:worker_threads');

function release(held) {
  F[CALL.HANDLE] = held.index;
  F[TABLE.KIND] = held.kind;
  n.release();
}

// Holds of this thread not yet released. A worker that exits never runs its
// finalizers, so it gives its holds back on the way out: an object shared
// with it is dropped once the other holders are done, and native threads
// (CPU sampler, Redis refill) stop with it.
const live = new Set();
if (!isMainThread) {
  process.on('exit', () => {
    for (const held of live) release(held);
    live.clear();
  });
}

const registry = new FinalizationRegistry((held) => {
  live.delete(held);
  release(held);
});

/** Calls a native constructor whose inputs are already in scratch; throws
 * the config error, named in the user's terms by `fields`. */
function create(kind, ctor, fields) {
  ctor();
  const status = F[CALL.STATUS];
  if (status === STATUS.OK) return { index: F[CREATED.INDEX], gen: F[CREATED.GEN], kind };
  if (status === STATUS.FULL) throw new RangeError('too many live weir objects of this kind (the table holds 2^20)');
  const [field, rule, got] = n.lastError() || ['options', 'valid', '?'];
  if (status === STATUS.SYSTEM) throw new Error(`weir: ${rule}`);
  const named = fields[field] || { name: field };
  throw rangeError(named.name, named.rule || rule, named.got ? named.got(got) : got);
}

function own(wrapper, handle) {
  const held = { index: handle.index, kind: handle.kind };
  live.add(held);
  registry.register(wrapper, held, wrapper);
  handle.held = held;
  return handle.index;
}

/** Drops the wrapper's hold now (close()); the wrapper must not be used after. */
function disown(wrapper, handle) {
  if (registry.unregister(wrapper) && live.delete(handle.held)) release(handle.held);
}

function share(handle) {
  return Object.freeze({ kind: handle.kind, index: handle.index, gen: handle.gen });
}

/** Takes a hold on a shared object of `kind`; throws if it is gone. */
function attach(kind, shared, className) {
  if (shared === null || typeof shared !== 'object') throw typeError('shared', `the result of ${className}.share()`, shared);
  const { index, gen } = shared;
  if (shared.kind !== kind || !Number.isInteger(index) || !Number.isInteger(gen) || index < 0 || gen < 0) {
    throw typeError('shared', `the result of ${className}.share()`, shared);
  }
  F[CALL.HANDLE] = index;
  F[TABLE.KIND] = kind;
  F[TABLE.GEN] = gen;
  n.attach();
  if (F[TABLE.ATTACHED] !== 1) throw rangeError('shared', `a live ${className}`, 'one that was dropped');
  return { kind, index, gen };
}

/** Switches scratch to exact mode for one call (explicit `now`, u64 answers). */
const exact = {
  on(now) {
    if (typeof now !== 'bigint') throw typeError('now', 'a bigint (nanoseconds)', now);
    if (now < 0n || now > 0xffffffffffffffffn) throw rangeError('now', 'in [0, 2^64 - 1]', now);
    F[CALL.MODE] = 1;
    B[CALL.NOW] = now;
  },
  off() {
    F[CALL.MODE] = 0;
  },
  /** Runs `call` in exact mode at `now` (back to plain mode however it
   * ends) and returns what it returns. */
  at(now, call) {
    this.on(now);
    try {
      return call();
    } finally {
      this.off();
    }
  },
};

module.exports = { ATTACH, KIND, create, own, disown, share, attach, exact };
