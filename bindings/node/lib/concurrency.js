'use strict';
// A cap on work in flight, exact across threads (one compare-exchange in
// core). `run` queues callers in this thread until a permit frees up.
const { n, F, B } = require('./native');
const check = require('./check');
const { abortReason } = require('./errors');
const { ATTACH, KIND, create, own, share, attach } = require('./handle');
const { REASONS } = require('./reason');

const FIELDS = { max_in_flight: { name: 'max' } };
// Permits freed by another thread wake nobody here; queued callers look again this often.
const POLL_MS = 5;

class ConcurrencyLimiter {
  #h;
  #handle;
  #queue = [];
  #timer = null;

  /** @param {{max: number}} options */
  constructor(options, shared = undefined) {
    if (options === ATTACH) {
      this.#handle = shared;
    } else {
      check.options(options);
      B[1] = check.u64(options.max, 'max', 1);
      this.#handle = create(KIND.ConcurrencyLimiter, n.concurrencyNew, FIELDS);
    }
    this.#h = own(this, this.#handle);
  }

  /** The ConcurrencyLimiter that another thread shared with `share()`. */
  static attach(shared) {
    return new ConcurrencyLimiter(ATTACH, attach(KIND.ConcurrencyLimiter, shared, 'ConcurrencyLimiter'));
  }

  share() {
    return share(this.#handle);
  }

  /** Takes a permit if one is free: `{ ok, reason, remaining }`. */
  tryAcquire() {
    F[0] = this.#h;
    n.concurrencyAcquire();
    const code = F[1];
    return { ok: code === 0, reason: REASONS[code], remaining: F[3] };
  }

  /** Returns a permit; false if none was held. */
  release() {
    F[0] = this.#h;
    n.concurrencyRelease();
    const released = F[1] === 1;
    if (released && this.#queue.length > 0) queueMicrotask(() => this.#drain());
    return released;
  }

  get inFlight() {
    F[0] = this.#h;
    n.concurrencyStats();
    return F[1];
  }

  get max() {
    F[0] = this.#h;
    n.concurrencyStats();
    return F[2];
  }

  /** Runs `fn` once a permit is free, and returns the permit when it settles. */
  async run(fn, options = undefined) {
    check.fn(fn, 'fn');
    const signal = check.signal(check.options(options).signal);
    if (!this.tryAcquire().ok) await this.#wait(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  #wait(signal) {
    if (signal !== undefined && signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, signal, onAbort: null };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#poll();
    });
  }

  #drain() {
    while (this.#queue.length > 0 && this.tryAcquire().ok) {
      const w = this.#queue.shift();
      if (w.signal !== undefined) w.signal.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
    this.#poll();
  }

  #poll() {
    if (this.#queue.length === 0 || this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#drain();
    }, POLL_MS);
  }
}

module.exports = { ConcurrencyLimiter };
