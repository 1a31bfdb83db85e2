'use strict';
// Client-side adaptive throttling (Google SRE): refuse locally, with a
// probability that rises as the backend stops accepting work.
const { EventEmitter } = require('node:events');
const { n, F, B } = require('./native');
const { CALL, DECISION, THROTTLE_NEW, THROTTLE_CALL } = require('./layout');
const { Events } = require('./events');
const check = require('./check');
const { ThrottledError, typeError, isLocalRefusal } = require('./errors');
const { ATTACH, KIND, create, own, share, attach, exact } = require('./handle');
const { REASONS, ms, exactDecision } = require('./reason');
const { decisionCounts } = require('./limiter');

const THROTTLE_FIELDS = {
  k: { name: 'k' },
  window_ns: { name: 'windowMs' },
  buckets: { name: 'buckets' },
  min_requests: { name: 'minRequests' },
  max_reject_probability: { name: 'maxRejectProbability' },
};

class Throttle extends EventEmitter {
  #h;
  #handle;
  #events = new Events(this, n.throttleNextEvent, () => this.#h);

  /** @param {{k?: number, windowMs?: number, buckets?: number, minRequests?: number, maxRejectProbability?: number}} options */
  constructor(options = {}, shared = undefined) {
    super();
    if (options === ATTACH) {
      this.#handle = shared;
      this.#h = own(this, this.#handle);
      return;
    }
    const o = check.options(options);
    const k = o.k === undefined ? 2 : check.finite(o.k, 'k', 1, Number.MAX_VALUE);
    const windowNs = check.durationNs(o.windowMs === undefined ? 10000 : o.windowMs, 'windowMs');
    const buckets = o.buckets === undefined ? 40 : check.integer(o.buckets, 'buckets', 1, 128);
    const minRequests = o.minRequests === undefined ? 20n : check.u64(o.minRequests, 'minRequests');
    const maxP = o.maxRejectProbability === undefined ? 0.9 : check.finite(o.maxRejectProbability, 'maxRejectProbability', 0, 1);
    F[THROTTLE_NEW.K] = k;
    check.putU64(THROTTLE_NEW.WINDOW, windowNs, 'windowMs');
    B[THROTTLE_NEW.BUCKETS] = BigInt(buckets);
    B[THROTTLE_NEW.MIN_REQUESTS] = minRequests;
    F[THROTTLE_NEW.MAX_REJECT_PROBABILITY] = maxP;
    this.#handle = create(KIND.Throttle, n.throttleNew, THROTTLE_FIELDS);
    this.#h = own(this, this.#handle);
  }

  /** The Throttle that another thread shared with `share()`. */
  static attach(shared) {
    return new Throttle(ATTACH, attach(KIND.Throttle, shared, 'Throttle'));
  }

  share() {
    return share(this.#handle);
  }

  /** Whether to send a request now; refused ones count as requests. */
  tryAcquire() {
    F[CALL.HANDLE] = this.#h;
    n.throttleAcquire();
    this.#events.after();
    const code = F[DECISION.REASON];
    return { ok: code === 0, reason: REASONS[code], retryAfterMs: code === 0 ? 0 : ms(F[DECISION.RETRY_AFTER]) };
  }

  /** Reports whether the backend accepted an admitted request. */
  record(accepted) {
    check.bool(accepted, 'accepted');
    F[CALL.HANDLE] = this.#h;
    F[THROTTLE_CALL.SUCCESS] = accepted ? 1 : 0;
    n.throttleRecord();
  }

  /**
   * Runs `fn` unless throttled (rejects with ThrottledError). A throw counts
   * as the backend refusing, unless `accepted(err)` says it answered; a
   * weir refusal inside `fn` (a shedder, limit, throttle or deadline that
   * answered before the backend was called) is forgotten, not counted.
   */
  async run(fn, options = undefined) {
    check.fn(fn, 'fn');
    const o = check.options(options);
    const accepted = o.accepted === undefined ? undefined : check.fn(o.accepted, 'accepted');
    const d = this.tryAcquire();
    if (!d.ok) throw new ThrottledError(d.retryAfterMs);
    const acquiredAt = F[THROTTLE_CALL.ACQUIRED_AT];
    let result;
    try {
      result = await fn();
    } catch (e) {
      if (isLocalRefusal(e)) {
        F[CALL.HANDLE] = this.#h;
        F[THROTTLE_CALL.FORGET_AT] = acquiredAt;
        n.throttleForget();
      } else {
        this.record(accepted !== undefined && accepted(e) === true);
      }
      throw e;
    }
    this.record(true);
    return result;
  }

  /** The window's counts, and the decisions by reason (counted natively, every thread). */
  stats() {
    F[CALL.HANDLE] = this.#h;
    n.throttleStats();
    const stats = readStats();
    F[CALL.HANDLE] = this.#h;
    n.throttleDecisions();
    stats.decisions = decisionCounts().decisions;
    return stats;
  }

  acquireAt(now, draw) {
    if (typeof draw !== 'bigint') throw typeError('draw', 'a bigint in [0, 2^64 - 1]', draw);
    check.putU64(THROTTLE_CALL.DRAW, draw, 'draw');
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.throttleAcquire();
      this.#events.after();
      return exactDecision();
    });
  }

  recordAt(now, accepted) {
    check.bool(accepted, 'accepted');
    exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      F[THROTTLE_CALL.SUCCESS] = accepted ? 1 : 0;
      n.throttleRecord();
    });
  }

  /** Takes back a request admitted by `acquireAt(acquiredAt, ...)` that never reached the backend. */
  forgetAt(acquiredAt) {
    exact.at(0n, () => {
      check.putU64(THROTTLE_CALL.FORGET_AT, acquiredAt, 'acquiredAt');
      F[CALL.HANDLE] = this.#h;
      n.throttleForget();
    });
  }

  statsAt(now) {
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.throttleStats();
      return readStats();
    });
  }
}

/** What `throttleStats` just answered. */
function readStats() {
  return { requests: F[THROTTLE_CALL.REQUESTS], accepts: F[THROTTLE_CALL.ACCEPTS], rejectProbability: F[THROTTLE_CALL.REJECT_PROBABILITY] };
}

module.exports = { Throttle };
