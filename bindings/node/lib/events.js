'use strict';
// Events of the shedder, throttle, retry budget and keyed table. weir-host
// detects them on the decision and queues them; a decision that queued one
// raises a flag in the scratch buffer, and the object, seeing it right after
// the call, drains the queue on a later turn (setImmediate) and emits each
// event to its listeners in order. A listener never runs inside a decision,
// and one that throws is reported as a process warning: the next listener
// and every later decision go on.
const { n, F, B } = require('./native');
const { CALL, EVENT } = require('./layout');
const { exact } = require('./handle');
const { REASONS } = require('./reason');

const KINDS = [
  'refused',
  'droppingStarted',
  'droppingStopped',
  'refusingStarted',
  'refusingStopped',
  'budgetExhausted',
  'budgetRecovered',
  'tableFull',
  'tableRecovered',
];

class Events {
  #emitter;
  #next;
  #handle;
  #scheduled = false;
  #flush = () => {
    this.#scheduled = false;
    for (const e of this.drain()) deliver(this.#emitter, e);
  };

  /**
   * @param {import('node:events').EventEmitter} emitter what the events are emitted on
   * @param {() => void} next the native call taking one event of the handle in F[CALL.HANDLE]
   * @param {() => number} handle the handle, read when draining
   */
  constructor(emitter, next, handle) {
    this.#emitter = emitter;
    this.#next = next;
    this.#handle = handle;
  }

  /** Right after each decision call: one read of the flag, nothing else when it is down. */
  after() {
    if (F[CALL.EVENTS] === 0) return;
    F[CALL.EVENTS] = 0;
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  /** The queued events, oldest first, taken off the queue. */
  drain() {
    const events = [];
    const h = this.#handle();
    exact.at(0n, () => {
      for (;;) {
        F[CALL.HANDLE] = h;
        this.#next();
        if (F[EVENT.TAKEN] !== 1) break;
        events.push({
          kind: KINDS[F[EVENT.KIND]],
          reason: REASONS[F[EVENT.REASON]],
          atNs: B[EVENT.AT],
          count: Number(B[EVENT.COUNT]),
          sinceNs: B[EVENT.SINCE],
        });
      }
    });
    return events;
  }
}

function deliver(emitter, e) {
  for (const listener of emitter.rawListeners(e.kind)) {
    try {
      listener.call(emitter, e);
    } catch (err) {
      process.emitWarning(`a '${e.kind}' listener threw: ${err instanceof Error ? err.message : String(err)}`, {
        type: 'WeirEventListenerError',
        detail: err instanceof Error ? err.stack : undefined,
      });
    }
  }
}

module.exports = { Events, KINDS };
