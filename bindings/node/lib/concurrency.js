'use strict';
// A cap on work in flight (a bulkhead), exact across threads, with a bounded
// FIFO queue: weir-host decides who gets a permit; this file parks waiters
// as promises keyed by their ticket and settles the one a release names.
const { n, F, B } = require('./native');
const { CALL, DECISION, CONCURRENCY_NEW, CONCURRENCY_ENQUEUE, CONCURRENCY_RELEASE, CONCURRENCY_TICKET, CONCURRENCY_STATS } = require('./layout');
const check = require('./check');
const { abortReason, RateLimitedError } = require('./errors');
const { ATTACH, KIND, create, own, share, attach } = require('./handle');
const { REASONS } = require('./reason');

const REFUSALS = ['concurrency_limited', 'queue_full', 'wait_timeout', 'cancelled'];
// A permit released on another thread wakes nobody here: while this thread
// has waiters on a shared limiter, it asks this often whether they still wait.
const POLL_MS = 5;

function refusal(reason) {
  return new RateLimitedError(reason, 0);
}

class ConcurrencyLimiter {
  #h;
  #handle;
  #shared = false;
  #waiters = new Map();
  #poller = null;

  /** @param {{max: number | bigint, maxQueue?: number | bigint, maxWait?: number | bigint | string}} options */
  constructor(options, shared = undefined) {
    if (options === ATTACH) {
      this.#handle = shared;
      this.#shared = true;
    } else {
      check.options(options);
      B[CONCURRENCY_NEW.MAX] = check.u64(options.max, 'max', 1);
      B[CONCURRENCY_NEW.HAS_MAX_QUEUE] = options.maxQueue === undefined ? 0n : 1n;
      B[CONCURRENCY_NEW.MAX_QUEUE] = options.maxQueue === undefined ? 0n : check.u64(options.maxQueue, 'maxQueue');
      B[CONCURRENCY_NEW.HAS_MAX_WAIT] = options.maxWait === undefined ? 0n : 1n;
      if (options.maxWait === undefined) B[CONCURRENCY_NEW.MAX_WAIT] = 0n;
      else check.putU64(CONCURRENCY_NEW.MAX_WAIT, check.durationNs(options.maxWait, 'maxWait'), 'maxWait');
      const given = (v) => () => v;
      this.#handle = create(KIND.ConcurrencyLimiter, n.concurrencyNew, {
        max_in_flight: { name: 'max', got: given(options.max) },
        max_queue: { name: 'maxQueue', got: given(options.maxQueue) },
        max_wait: { name: 'maxWait', got: given(options.maxWait) },
      });
    }
    this.#h = own(this, this.#handle);
  }

  /** The ConcurrencyLimiter that another thread shared with `share()`. */
  static attach(shared) {
    return new ConcurrencyLimiter(ATTACH, attach(KIND.ConcurrencyLimiter, shared, 'ConcurrencyLimiter'));
  }

  share() {
    this.#shared = true;
    if (this.#waiters.size > 0) this.#poll();
    return share(this.#handle);
  }

  /** Takes a permit if one is free and nobody waits; never waits: `{ ok, reason, remaining }`. */
  tryAcquire() {
    F[CALL.HANDLE] = this.#h;
    n.concurrencyAcquire();
    const code = F[DECISION.REASON];
    return { ok: code === 0, reason: REASONS[code], remaining: F[DECISION.REMAINING] };
  }

  /**
   * Waits in line for a permit: resolves to a `release()` to call once
   * when done. Rejects with a RateLimitedError whose `reason` is
   * 'queue_full', 'wait_timeout' (after `maxWait`, never longer than the
   * limiter's own) or 'concurrency_limited' (no queue), or with the
   * signal's reason when aborted.
   * @param {{signal?: AbortSignal, maxWait?: number | bigint | string}} [options]
   */
  acquire(options = undefined) {
    const o = check.options(options);
    const signal = check.signal(o.signal);
    if (signal !== undefined && signal.aborted) return Promise.reject(abortReason(signal));
    F[CALL.HANDLE] = this.#h;
    if (o.maxWait === undefined) {
      B[CONCURRENCY_ENQUEUE.HAS_MAX_WAIT] = 0n;
    } else {
      check.putU64(CONCURRENCY_ENQUEUE.OUTCOME, check.durationNs(o.maxWait, 'maxWait', { allowInfinity: true }), 'maxWait');
      B[CONCURRENCY_ENQUEUE.HAS_MAX_WAIT] = 1n;
    }
    F[CALL.HANDLE] = this.#h;
    n.concurrencyEnqueue();
    const outcome = F[CONCURRENCY_ENQUEUE.OUTCOME];
    if (outcome === 0) return Promise.resolve(this.#releaser());
    if (outcome === 2) return Promise.reject(refusal(REFUSALS[F[CONCURRENCY_ENQUEUE.REFUSAL]]));
    const ticket = F[CONCURRENCY_ENQUEUE.TICKET];
    const waitMs = F[CONCURRENCY_ENQUEUE.WAIT] / 1e6;
    return new Promise((resolve, reject) => {
      const w = { resolve, reject, signal, onAbort: null, timer: null };
      w.timer = setTimeout(() => this.#giveUp(ticket, w, true), waitMs);
      if (signal !== undefined) {
        w.onAbort = () => this.#giveUp(ticket, w, false);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#waiters.set(ticket, w);
      if (this.#shared) this.#poll();
    });
  }

  /** Returns a permit (to the oldest waiter, if any); false if none was held. */
  release() {
    F[CALL.HANDLE] = this.#h;
    n.concurrencyRelease();
    const released = F[CONCURRENCY_RELEASE.RELEASED] === 1;
    const handedTo = F[CONCURRENCY_RELEASE.HANDED_TO];
    if (handedTo !== 0) this.#grant(handedTo);
    return released;
  }

  get inFlight() {
    return this.stats().inFlight;
  }

  get max() {
    return this.stats().max;
  }

  get queued() {
    return this.stats().queued;
  }

  /** Permits and waiters now, the settings, and decisions by reason so far. */
  stats() {
    F[CALL.HANDLE] = this.#h;
    n.concurrencyStats();
    const refused = {};
    REFUSALS.forEach((reason, i) => (refused[reason] = F[CONCURRENCY_STATS.REFUSED + i]));
    return {
      inFlight: F[CONCURRENCY_STATS.IN_FLIGHT],
      max: F[CONCURRENCY_STATS.MAX],
      queued: F[CONCURRENCY_STATS.QUEUED],
      maxQueue: F[CONCURRENCY_STATS.MAX_QUEUE],
      maxWaitMs: F[CONCURRENCY_STATS.MAX_WAIT] / 1e6,
      admitted: F[CONCURRENCY_STATS.ADMITTED],
      admittedAfterWait: F[CONCURRENCY_STATS.ADMITTED_AFTER_WAIT],
      refused,
    };
  }

  /** Runs `fn` once a permit is granted (callers wait in line), returning the permit when it settles. */
  async run(fn, options = undefined) {
    check.fn(fn, 'fn');
    const release = await this.acquire(options);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #releaser() {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.release();
    };
  }

  #settle(ticket, w) {
    this.#waiters.delete(ticket);
    clearTimeout(w.timer);
    if (w.signal !== undefined) w.signal.removeEventListener('abort', w.onAbort);
  }

  #grant(ticket) {
    const w = this.#waiters.get(ticket);
    if (w === undefined) return; // another thread's waiter: it finds out by polling
    this.#settle(ticket, w);
    w.resolve(this.#releaser());
  }

  #giveUp(ticket, w, timedOut) {
    if (this.#waiters.get(ticket) !== w) return;
    this.#settle(ticket, w);
    F[CALL.HANDLE] = this.#h;
    F[CONCURRENCY_TICKET.TICKET] = ticket;
    F[CONCURRENCY_TICKET.TIMED_OUT] = timedOut ? 1 : 0;
    n.concurrencyCancel();
    const removed = F[CONCURRENCY_TICKET.ANSWER] === 1;
    if (timedOut) {
      // Handed the permit as the wait ran out: it is the waiter's.
      if (removed) w.reject(refusal('wait_timeout'));
      else w.resolve(this.#releaser());
      return;
    }
    // Handed the permit as the caller gave up: pass it on.
    if (!removed) this.release();
    w.reject(abortReason(w.signal));
  }

  #poll() {
    if (this.#poller !== null) return;
    this.#poller = setInterval(() => {
      for (const ticket of [...this.#waiters.keys()]) {
        F[CALL.HANDLE] = this.#h;
        F[CONCURRENCY_TICKET.TICKET] = ticket;
        n.concurrencyWaiting();
        if (F[CONCURRENCY_TICKET.ANSWER] === 0) this.#grant(ticket);
      }
      if (this.#waiters.size === 0) {
        clearInterval(this.#poller);
        this.#poller = null;
      }
    }, POLL_MS);
    this.#poller.unref();
  }
}

module.exports = { ConcurrencyLimiter };
