'use strict';
// Circuit breaking: closed, open, half-open (plus forced open and disabled)
// over a count or time window, decided by weir-host's breaker; moves are
// emitted as 'stateChange' events on a later tick, in the order they happened.
const { EventEmitter } = require('node:events');
const { n, F, B } = require('./native');
const { CALL, DECISION, BREAKER_CONFIG, BREAKER_ACQUIRE, BREAKER_CALL, BREAKER_EVENT, BREAKER_STATS } = require('./layout');
const check = require('./check');
const { CircuitOpenError, typeError, rangeError, isLocalRefusal } = require('./errors');
const { KIND, create, own, exact } = require('./handle');
const { REASONS, ms, exactDecision } = require('./reason');

const STATES = ['closed', 'open', 'half_open', 'forced_open', 'disabled'];
const CAUSES = [
  'failure_rate',
  'slow_call_rate',
  'consecutive_failures',
  'wait_over',
  'probes_failed',
  'probes_slow',
  'probes_timed_out',
  'probes_passed',
  'forced_open',
  'disabled',
  'reset',
];
const COMMANDS = { force_open: 0, disable: 1, reset: 2 };

const BREAKER_FIELDS = {
  window_calls: { name: 'windowCalls' },
  window_ns: { name: 'windowMs' },
  buckets: { name: 'buckets' },
  minimum_calls: { name: 'minimumCalls' },
  failure_rate_threshold: { name: 'failureRateThreshold' },
  slow_call_rate_threshold: { name: 'slowCallRateThreshold' },
  slow_call_ns: { name: 'slowCallMs' },
  consecutive_failures: { name: 'consecutiveFailures' },
  open_ns: { name: 'openMs' },
  half_open_probes: { name: 'halfOpenProbes' },
  half_open_max_ns: { name: 'halfOpenMaxWaitMs' },
};

// Option name -> [slot, kind]: 'n' a count, 'd' a duration, 'f' a percent.
const SLOTS = {
  windowCalls: [BREAKER_CONFIG.WINDOW_CALLS, 'n'],
  windowMs: [BREAKER_CONFIG.WINDOW_NS, 'd'],
  buckets: [BREAKER_CONFIG.BUCKETS, 'n'],
  minimumCalls: [BREAKER_CONFIG.MINIMUM_CALLS, 'n'],
  failureRateThreshold: [BREAKER_CONFIG.FAILURE_RATE_THRESHOLD, 'f'],
  slowCallRateThreshold: [BREAKER_CONFIG.SLOW_CALL_RATE_THRESHOLD, 'f'],
  slowCallMs: [BREAKER_CONFIG.SLOW_CALL, 'd'],
  consecutiveFailures: [BREAKER_CONFIG.CONSECUTIVE_FAILURES, 'n'],
  openMs: [BREAKER_CONFIG.OPEN, 'd'],
  halfOpenProbes: [BREAKER_CONFIG.HALF_OPEN_PROBES, 'n'],
  halfOpenMaxWaitMs: [BREAKER_CONFIG.HALF_OPEN_MAX, 'd'],
};

class CircuitBreaker extends EventEmitter {
  #h;
  #handle;
  #isFailure;
  #delivering = false;

  /**
   * @param {{window?: 'count' | 'time', windowCalls?: number, windowMs?: number, buckets?: number,
   *   minimumCalls?: number, failureRateThreshold?: number, slowCallRateThreshold?: number,
   *   slowCallMs?: number, consecutiveFailures?: number, openMs?: number, halfOpenProbes?: number,
   *   halfOpenMaxWaitMs?: number, isFailure?: (err: unknown) => boolean}} options
   */
  constructor(options = {}) {
    super();
    const o = check.options(options);
    this.#isFailure = o.isFailure === undefined ? undefined : check.fn(o.isFailure, 'isFailure');
    n.breakerDefaults();
    let kind = F[BREAKER_CONFIG.WINDOW];
    const windowKind = o.window ?? (o.windowMs !== undefined || o.buckets !== undefined ? 'time' : undefined);
    if (windowKind !== undefined) {
      if (windowKind !== 'count' && windowKind !== 'time') throw rangeError('window', '"count" or "time"', windowKind);
      kind = windowKind === 'time' ? 1 : 0;
    }
    F[BREAKER_CONFIG.WINDOW] = kind;
    check.putGiven(o, SLOTS);
    this.#handle = create(KIND.CircuitBreaker, n.breakerNew, BREAKER_FIELDS);
    this.#h = own(this, this.#handle);
  }

  /** Asks to make a call now: `{ ok, reason, retryAfterMs, permit }`; report
   * an admitted call once with `record(permit, failed)` or `release(permit)`. */
  tryAcquire() {
    F[CALL.HANDLE] = this.#h;
    n.breakerAcquire();
    const code = F[DECISION.REASON];
    const moved = F[BREAKER_ACQUIRE.MOVED] !== 0;
    const d = {
      ok: code === 0,
      reason: REASONS[code],
      retryAfterMs: code === 0 ? 0 : ms(F[DECISION.RETRY_AFTER]),
      permit: code === 0 ? answeredPermit(F[BREAKER_ACQUIRE.STARTED_AT]) : undefined,
    };
    if (moved) this.#moved();
    return d;
  }

  /** Reports an admitted call; its duration is measured from `tryAcquire`. */
  record(permit, failed) {
    check.bool(failed, 'failed');
    F[CALL.HANDLE] = this.#h;
    F[BREAKER_CALL.PERMIT] = permitBits(permit);
    F[BREAKER_CALL.FAILED] = failed ? 1 : 0;
    F[BREAKER_CALL.STARTED_AT] = permit.startedAt;
    n.breakerRecord();
    if (F[BREAKER_CALL.MOVED] !== 0) this.#moved();
  }

  /** Gives back a permit whose call does not count; false when stale or already reported. */
  release(permit) {
    F[CALL.HANDLE] = this.#h;
    F[BREAKER_CALL.PERMIT] = permitBits(permit);
    n.breakerRelease();
    return F[BREAKER_CALL.RELEASED] === 1;
  }

  /**
   * Runs `fn` through the breaker: rejects with CircuitOpenError without
   * calling it when refused. A throw counts as a failure unless
   * `isFailure(err)` says otherwise; a weir refusal from inside `fn` gives
   * the permit back, as it says nothing about the service.
   */
  async run(fn) {
    check.fn(fn, 'fn');
    const d = this.tryAcquire();
    if (!d.ok) throw new CircuitOpenError(d.reason, d.retryAfterMs);
    let result;
    try {
      result = await fn();
    } catch (e) {
      if (isLocalRefusal(e)) this.release(d.permit);
      else this.record(d.permit, this.#isFailure === undefined ? true : this.#isFailure(e) === true);
      throw e;
    }
    this.record(d.permit, false);
    return result;
  }

  /** Holds the breaker open (retryAfterMs Infinity) until `reset()`. */
  forceOpen() {
    this.#command(COMMANDS.force_open);
  }

  /** Lets every call through and records nothing until `reset()`. */
  disable() {
    this.#command(COMMANDS.disable);
  }

  /** Closes the breaker with an empty window, from any state. */
  reset() {
    this.#command(COMMANDS.reset);
  }

  #command(code) {
    F[CALL.HANDLE] = this.#h;
    F[BREAKER_CALL.COMMAND] = code;
    n.breakerCommand();
    if (F[BREAKER_CALL.MOVED] !== 0) this.#moved();
  }

  /** 'closed', 'open', 'half_open', 'forced_open' or 'disabled'. */
  get state() {
    return this.stats().state;
  }

  stats() {
    F[CALL.HANDLE] = this.#h;
    n.breakerStats();
    return {
      state: STATES[F[BREAKER_STATS.STATE]],
      calls: F[BREAKER_STATS.CALLS],
      failures: F[BREAKER_STATS.FAILURES],
      slow: F[BREAKER_STATS.SLOW],
      consecutiveFailures: F[BREAKER_STATS.CONSECUTIVE_FAILURES],
      probesIssued: F[BREAKER_STATS.PROBES_ISSUED],
      probesReturned: F[BREAKER_STATS.PROBES_RETURNED],
      openLeftMs: ms(F[BREAKER_STATS.OPEN_LEFT]),
      decisions: {
        admitted: F[BREAKER_STATS.ADMITTED],
        circuit_open: F[BREAKER_STATS.REFUSED_OPEN],
        circuit_half_open: F[BREAKER_STATS.REFUSED_HALF_OPEN],
      },
      eventsDropped: F[BREAKER_STATS.EVENTS_DROPPED],
    };
  }

  // Emitting waits for a later tick: a listener never runs inside the call
  // that moved the breaker, and one drain delivers every queued move in order.
  #moved() {
    if (this.#delivering) return;
    this.#delivering = true;
    process.nextTick(() => {
      this.#delivering = false;
      for (const e of this.drainEvents()) this.emit('stateChange', e);
    });
  }

  /** The moves queued and not yet emitted, oldest first. */
  drainEvents() {
    const events = [];
    exact.at(0n, () => {
      for (;;) {
        F[CALL.HANDLE] = this.#h;
        n.breakerNextEvent();
        if (F[BREAKER_EVENT.TAKEN] !== 1) break;
        events.push({
          from: STATES[F[BREAKER_EVENT.FROM]],
          to: STATES[F[BREAKER_EVENT.TO]],
          cause: CAUSES[F[BREAKER_EVENT.CAUSE]],
          calls: B[BREAKER_EVENT.CALLS],
          failures: B[BREAKER_EVENT.FAILURES],
          slow: B[BREAKER_EVENT.SLOW],
          consecutiveFailures: B[BREAKER_EVENT.CONSECUTIVE_FAILURES],
          atNs: B[BREAKER_EVENT.AT],
        });
      }
    });
    return events;
  }

  // Explicit-time forms (nanoseconds as bigint), for the conformance vectors.
  acquireAt(now) {
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.breakerAcquire();
      const d = exactDecision();
      return { ...d, permit: d.reason === 'admitted' ? answeredPermit(B[BREAKER_ACQUIRE.STARTED_AT]) : undefined };
    });
  }

  recordAt(now, permit, failed, durationNs) {
    check.bool(failed, 'failed');
    exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      F[BREAKER_CALL.PERMIT] = permitBits(permit);
      F[BREAKER_CALL.FAILED] = failed ? 1 : 0;
      check.putU64(BREAKER_CALL.DURATION, durationNs, 'durationNs');
      n.breakerRecord();
    });
  }

  commandAt(now, command) {
    if (!(command in COMMANDS)) throw rangeError('command', 'force_open, disable or reset', command);
    exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      F[BREAKER_CALL.COMMAND] = COMMANDS[command];
      n.breakerCommand();
    });
  }

  statsAt(now) {
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.breakerStats();
      return {
        state: STATES[F[BREAKER_STATS.STATE]],
        calls: B[BREAKER_STATS.CALLS],
        failures: B[BREAKER_STATS.FAILURES],
        slow: B[BREAKER_STATS.SLOW],
        consecutiveFailures: B[BREAKER_STATS.CONSECUTIVE_FAILURES],
        probesIssued: B[BREAKER_STATS.PROBES_ISSUED],
        probesReturned: B[BREAKER_STATS.PROBES_RETURNED],
        openLeft: B[BREAKER_STATS.OPEN_LEFT],
      };
    });
  }
}

/** The permit `breakerAcquire` just answered, started at `startedAt`. */
function answeredPermit(startedAt) {
  return { bits: F[BREAKER_ACQUIRE.PERMIT], startedAt, probe: F[BREAKER_ACQUIRE.PROBE] !== 0 };
}

function permitBits(permit) {
  if (permit === null || typeof permit !== 'object' || typeof permit.bits !== 'number') {
    throw typeError('permit', 'a permit from tryAcquire()', permit);
  }
  return permit.bits;
}

module.exports = { CircuitBreaker, CircuitOpenError };
