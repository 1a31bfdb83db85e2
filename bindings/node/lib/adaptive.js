'use strict';
// A concurrency limit learned from latency alone (Gradient2, Vegas, AIMD),
// decided by weir-host's adaptive limiter.
const { n, F, B } = require('./native');
const { CALL, DECISION, ADAPTIVE_NEW, ADAPTIVE_ACQUIRE, ADAPTIVE_RELEASE, ADAPTIVE_STATS } = require('./layout');
const check = require('./check');
const { RateLimitedError, rangeError, typeError, isLocalRefusal } = require('./errors');
const { KIND, create, own, exact } = require('./handle');
const { REASONS, ms, exactDecision } = require('./reason');

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

// Option name -> [slot, kind]: 'n' a count, 'f' a ratio, 'd' a duration.
const SLOTS = {
  initialLimit: [ADAPTIVE_NEW.INITIAL_LIMIT, 'n'],
  minLimit: [ADAPTIVE_NEW.MIN_LIMIT, 'n'],
  maxLimit: [ADAPTIVE_NEW.MAX_LIMIT, 'n'],
  smoothing: [ADAPTIVE_NEW.SMOOTHING, 'f'],
  rttTolerance: [ADAPTIVE_NEW.RTT_TOLERANCE, 'f'],
  longWindow: [ADAPTIVE_NEW.LONG_WINDOW, 'n'],
  queueSize: [ADAPTIVE_NEW.QUEUE_SIZE, 'n'],
  alpha: [ADAPTIVE_NEW.ALPHA, 'n'],
  beta: [ADAPTIVE_NEW.BETA, 'n'],
  probeMultiplier: [ADAPTIVE_NEW.PROBE_MULTIPLIER, 'n'],
  backoffRatio: [ADAPTIVE_NEW.BACKOFF_RATIO, 'f'],
  timeoutMs: [ADAPTIVE_NEW.TIMEOUT, 'd'],
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
    F[ADAPTIVE_NEW.ALGORITHM] = ALGORITHMS[algorithm];
    F[ADAPTIVE_NEW.GIVEN] = check.putGiven(o, SLOTS, ADAPTIVE_NEW.INITIAL_LIMIT);
    this.#handle = create(KIND.AdaptiveLimiter, n.adaptiveNew, ADAPTIVE_FIELDS);
    this.#h = own(this, this.#handle);
  }

  /** Takes a slot if fewer than the limit are in flight: `{ ok, reason, permit }`;
   * give an admitted permit back once with `release(permit, outcome)`. */
  tryAcquire() {
    F[CALL.HANDLE] = this.#h;
    n.adaptiveAcquire();
    const code = F[DECISION.REASON];
    return {
      ok: code === 0,
      reason: REASONS[code],
      retryAfterMs: code === 0 ? 0 : ms(F[DECISION.RETRY_AFTER]),
      permit: code === 0 ? { inFlight: F[ADAPTIVE_ACQUIRE.IN_FLIGHT], startedAt: F[ADAPTIVE_ACQUIRE.STARTED_AT] } : undefined,
    };
  }

  /** Ends a request as 'success', 'dropped' (timed out, or refused for
   * overload) or 'ignored' (never reached the service); its RTT is measured
   * from `tryAcquire`. Returns the limit now in force. */
  release(permit, outcome = 'success') {
    if (permit === null || typeof permit !== 'object' || typeof permit.inFlight !== 'number') {
      throw typeError('permit', 'a permit from tryAcquire()', permit);
    }
    F[ADAPTIVE_RELEASE.OUTCOME] = outcomeCode(outcome);
    F[CALL.HANDLE] = this.#h;
    F[ADAPTIVE_RELEASE.IN_FLIGHT] = permit.inFlight;
    F[ADAPTIVE_RELEASE.STARTED_AT] = permit.startedAt;
    n.adaptiveRelease();
    return F[ADAPTIVE_RELEASE.LIMIT];
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
    F[CALL.HANDLE] = this.#h;
    n.adaptiveStats();
    return {
      limit: F[ADAPTIVE_STATS.LIMIT],
      inFlight: F[ADAPTIVE_STATS.IN_FLIGHT],
      estimate: F[ADAPTIVE_STATS.ESTIMATE],
      baselineRttMs: F[ADAPTIVE_STATS.BASELINE_RTT] / 1e6,
      decisions: { admitted: F[ADAPTIVE_STATS.ADMITTED], concurrency_limited: F[ADAPTIVE_STATS.REFUSED] },
    };
  }

  // Explicit forms (bigint nanoseconds), for the conformance vectors.
  acquireAt(now) {
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.adaptiveAcquire();
      const d = exactDecision();
      if (d.reason !== 'admitted') return { ...d, permit: undefined };
      return { ...d, permit: { inFlight: F[ADAPTIVE_ACQUIRE.IN_FLIGHT], startedAt: B[ADAPTIVE_ACQUIRE.STARTED_AT] } };
    });
  }

  releaseRtt(permit, rttNs, outcome = 'success') {
    const code = outcomeCode(outcome);
    return exact.at(0n, () => {
      F[CALL.HANDLE] = this.#h;
      F[ADAPTIVE_RELEASE.IN_FLIGHT] = permit.inFlight;
      check.putU64(ADAPTIVE_RELEASE.RTT, rttNs, 'rttNs');
      F[ADAPTIVE_RELEASE.OUTCOME] = code;
      n.adaptiveRelease();
      return B[ADAPTIVE_RELEASE.LIMIT];
    });
  }

  statsExact() {
    return exact.at(0n, () => {
      F[CALL.HANDLE] = this.#h;
      n.adaptiveStats();
      const limit = B[ADAPTIVE_STATS.LIMIT];
      return { limit, inFlight: B[ADAPTIVE_STATS.IN_FLIGHT], estimate: F[ADAPTIVE_STATS.ESTIMATE], baselineRttNs: F[ADAPTIVE_STATS.BASELINE_RTT] };
    });
  }
}

function defaultOutcome(e) {
  if (isLocalRefusal(e) || (e && e.name === 'AbortError')) return 'ignored';
  if (e && e.name === 'TimeoutError') return 'dropped';
  return 'success';
}

module.exports = { AdaptiveLimiter };
