'use strict';
// A concurrency limit learned from latency alone (Gradient2, Vegas, AIMD),
// decided by weir-host's adaptive limiter.
const { n, F, B } = require('./native');
const check = require('./check');
const { RateLimitedError, rangeError, typeError, isLocalRefusal } = require('./errors');
const { KIND, create, own, exact } = require('./handle');
const { REASONS, ms } = require('./reason');

const ALGORITHMS = { gradient2: 0, vegas: 1, aimd: 2 };
const OUTCOMES = { success: 0, dropped: 1, ignored: 2 };

const ADAPTIVE_FIELDS = {
  initial_limit: { name: 'initialLimit' },
  min_limit: { name: 'minLimit' },
  max_limit: { name: 'maxLimit' },
  smoothing: { name: 'smoothing' },
  rtt_tolerance: { name: 'rttTolerance' },
  long_window: { name: 'longWindow' },
  queue_size: { name: 'queueSize' },
  alpha: { name: 'alpha' },
  beta: { name: 'beta' },
  probe_multiplier: { name: 'probeMultiplier' },
  backoff_ratio: { name: 'backoffRatio' },
  timeout_ns: { name: 'timeoutMs' },
};

// Option name -> [mask bit, slot, kind]: 'n' a count, 'f' a ratio, 'd' a duration.
const SLOTS = {
  initialLimit: [0, 3, 'n'],
  minLimit: [1, 4, 'n'],
  maxLimit: [2, 5, 'n'],
  smoothing: [3, 6, 'f'],
  rttTolerance: [4, 7, 'f'],
  longWindow: [5, 8, 'n'],
  queueSize: [6, 9, 'n'],
  alpha: [7, 10, 'n'],
  beta: [8, 11, 'n'],
  probeMultiplier: [9, 12, 'n'],
  backoffRatio: [10, 13, 'f'],
  timeoutMs: [11, 14, 'd'],
};

function outcomeCode(outcome) {
  if (!(outcome in OUTCOMES)) throw rangeError('outcome', '"success", "dropped" or "ignored"', outcome);
  return OUTCOMES[outcome];
}

class AdaptiveLimiter {
  #h;
  #handle;

  /** @param {{algorithm?: 'gradient2' | 'vegas' | 'aimd', initialLimit?: number, minLimit?: number, maxLimit?: number,
   *   smoothing?: number, rttTolerance?: number, longWindow?: number, queueSize?: number, alpha?: number, beta?: number,
   *   probeMultiplier?: number, backoffRatio?: number, timeoutMs?: number}} options */
  constructor(options = {}) {
    const o = check.options(options);
    const algorithm = o.algorithm === undefined ? 'gradient2' : o.algorithm;
    if (!(algorithm in ALGORITHMS)) throw rangeError('algorithm', '"gradient2", "vegas" or "aimd"', algorithm);
    F[1] = ALGORITHMS[algorithm];
    let mask = 0;
    for (const [name, [bit, slot, type]] of Object.entries(SLOTS)) {
      const v = o[name];
      if (v === undefined) continue;
      mask |= 1 << bit;
      if (type === 'f') F[slot] = check.finite(v, name, -Infinity, Infinity);
      else if (type === 'd') check.putU64(slot, check.durationNs(v, name), name);
      else check.putU64(slot, check.u64(v, name), name);
    }
    F[2] = mask;
    this.#handle = create(KIND.AdaptiveLimiter, n.adaptiveNew, ADAPTIVE_FIELDS);
    this.#h = own(this, this.#handle);
  }

  /** Takes a slot if fewer than the limit are in flight: `{ ok, reason, permit }`;
   * give an admitted permit back once with `release(permit, outcome)`. */
  tryAcquire() {
    F[0] = this.#h;
    n.adaptiveAcquire();
    const code = F[1];
    return {
      ok: code === 0,
      reason: REASONS[code],
      retryAfterMs: code === 0 ? 0 : ms(F[2]),
      permit: code === 0 ? { inFlight: F[5], startedAt: F[6] } : undefined,
    };
  }

  /** Ends a request as 'success', 'dropped' (timed out, or refused for
   * overload) or 'ignored' (never reached the service); its RTT is measured
   * from `tryAcquire`. Returns the limit now in force. */
  release(permit, outcome = 'success') {
    if (permit === null || typeof permit !== 'object' || typeof permit.inFlight !== 'number') {
      throw typeError('permit', 'a permit from tryAcquire()', permit);
    }
    F[4] = outcomeCode(outcome);
    F[0] = this.#h;
    F[2] = permit.inFlight;
    F[3] = permit.startedAt;
    n.adaptiveRelease();
    return F[1];
  }

  /**
   * Runs `fn` within the limit: rejects with RateLimitedError
   * ('concurrency_limited') without calling it when at the limit. The time
   * `fn` takes is the RTT; `outcome(err)` may classify a throw (default: a
   * weir refusal or an AbortError 'ignored', a TimeoutError 'dropped',
   * anything else 'success').
   */
  async run(fn, options = undefined) {
    check.fn(fn, 'fn');
    const o = check.options(options);
    const classify = o.outcome === undefined ? defaultOutcome : check.fn(o.outcome, 'outcome');
    const d = this.tryAcquire();
    if (!d.ok) throw new RateLimitedError(d.reason, 0);
    let result;
    try {
      result = await fn();
    } catch (e) {
      this.release(d.permit, classify(e));
      throw e;
    }
    this.release(d.permit, 'success');
    return result;
  }

  get limit() {
    return this.stats().limit;
  }

  stats() {
    F[0] = this.#h;
    n.adaptiveStats();
    return {
      limit: F[1],
      inFlight: F[2],
      estimate: F[3],
      baselineRttMs: F[4] / 1e6,
      decisions: { admitted: F[5], concurrency_limited: F[6] },
    };
  }

  // Explicit forms (bigint nanoseconds), for the conformance vectors.
  acquireAt(now) {
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.adaptiveAcquire();
      const code = F[1];
      return {
        reason: REASONS[code],
        retryAfter: B[2],
        remaining: B[3],
        resetAfter: B[4],
        permit: code === 0 ? { inFlight: F[5], startedAt: B[6] } : undefined,
      };
    } finally {
      exact.off();
    }
  }

  releaseRtt(permit, rttNs, outcome = 'success') {
    const code = outcomeCode(outcome);
    exact.on(1, 0n);
    try {
      F[0] = this.#h;
      F[2] = permit.inFlight;
      check.putU64(3, rttNs, 'rttNs');
      F[4] = code;
      n.adaptiveRelease();
      return B[1];
    } finally {
      exact.off();
    }
  }

  statsExact() {
    exact.on(1, 0n);
    try {
      F[0] = this.#h;
      n.adaptiveStats();
      return { limit: B[1], inFlight: B[2], estimate: F[3], baselineRttNs: F[4] };
    } finally {
      exact.off();
    }
  }
}

function defaultOutcome(e) {
  if (isLocalRefusal(e) || (e && e.name === 'AbortError')) return 'ignored';
  if (e && e.name === 'TimeoutError') return 'dropped';
  return 'success';
}

module.exports = { AdaptiveLimiter };
