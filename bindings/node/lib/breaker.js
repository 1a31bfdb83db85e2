'use strict';
// Circuit breaking: closed, open, half-open (plus forced open and disabled)
// over a count or time window, decided by weir-host's breaker; moves are
// emitted as 'stateChange' events on a later tick, in the order they happened.
const { EventEmitter } = require('node:events');
const { n, F, B } = require('./native');
const check = require('./check');
const { CircuitOpenError, typeError, rangeError, isLocalRefusal } = require('./errors');
const { KIND, create, own, exact } = require('./handle');
const { REASONS, ms } = require('./reason');

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
  windowCalls: [2, 'n'],
  windowMs: [3, 'd'],
  buckets: [4, 'n'],
  minimumCalls: [5, 'n'],
  failureRateThreshold: [6, 'f'],
  slowCallRateThreshold: [7, 'f'],
  slowCallMs: [8, 'd'],
  consecutiveFailures: [9, 'n'],
  openMs: [10, 'd'],
  halfOpenProbes: [11, 'n'],
  halfOpenMaxWaitMs: [12, 'd'],
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
    let kind = F[1];
    const windowKind = o.window ?? (o.windowMs !== undefined || o.buckets !== undefined ? 'time' : undefined);
    if (windowKind !== undefined) {
      if (windowKind !== 'count' && windowKind !== 'time') throw rangeError('window', '"count" or "time"', windowKind);
      kind = windowKind === 'time' ? 1 : 0;
    }
    F[1] = kind;
    for (const [name, [slot, type]] of Object.entries(SLOTS)) {
      const v = o[name];
      if (v === undefined) continue;
      if (type === 'f') F[slot] = check.finite(v, name, -Infinity, Infinity);
      else if (type === 'd') check.putU64(slot, check.durationNs(v, name), name);
      else check.putU64(slot, check.u64(v, name), name);
    }
    this.#handle = create(KIND.CircuitBreaker, n.breakerNew, BREAKER_FIELDS);
    this.#h = own(this, this.#handle);
  }

  /** Asks to make a call now: `{ ok, reason, retryAfterMs, permit }`; report
   * an admitted call once with `record(permit, failed)` or `release(permit)`. */
  tryAcquire() {
    F[0] = this.#h;
    n.breakerAcquire();
    const code = F[1];
    const moved = F[8] !== 0;
    const d = {
      ok: code === 0,
      reason: REASONS[code],
      retryAfterMs: code === 0 ? 0 : ms(F[2]),
      permit: code === 0 ? { bits: F[5], startedAt: F[6], probe: F[7] !== 0 } : undefined,
    };
    if (moved) this.#moved();
    return d;
  }

  /** Reports an admitted call; its duration is measured from `tryAcquire`. */
  record(permit, failed) {
    check.bool(failed, 'failed');
    F[0] = this.#h;
    F[2] = permitBits(permit);
    F[3] = failed ? 1 : 0;
    F[4] = permit.startedAt;
    n.breakerRecord();
    if (F[8] !== 0) this.#moved();
  }

  /** Gives back a permit whose call does not count; false when stale or already reported. */
  release(permit) {
    F[0] = this.#h;
    F[2] = permitBits(permit);
    n.breakerRelease();
    return F[1] === 1;
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
    F[0] = this.#h;
    F[2] = code;
    n.breakerCommand();
    if (F[8] !== 0) this.#moved();
  }

  /** 'closed', 'open', 'half_open', 'forced_open' or 'disabled'. */
  get state() {
    return this.stats().state;
  }

  stats() {
    F[0] = this.#h;
    n.breakerStats();
    return {
      state: STATES[F[1]],
      calls: F[2],
      failures: F[3],
      slow: F[4],
      consecutiveFailures: F[5],
      probesIssued: F[6],
      probesReturned: F[7],
      openLeftMs: ms(F[8]),
      decisions: { admitted: F[9], circuit_open: F[10], circuit_half_open: F[11] },
      eventsDropped: F[12],
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
    exact.on(1, 0n);
    try {
      for (;;) {
        F[0] = this.#h;
        n.breakerNextEvent();
        if (F[1] !== 1) break;
        events.push({
          from: STATES[F[2]],
          to: STATES[F[3]],
          cause: CAUSES[F[4]],
          calls: B[5],
          failures: B[6],
          slow: B[7],
          consecutiveFailures: B[8],
          atNs: B[9],
        });
      }
    } finally {
      exact.off();
    }
    return events;
  }

  // Explicit-time forms (nanoseconds as bigint), for the conformance vectors.
  acquireAt(now) {
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.breakerAcquire();
      const code = F[1];
      return {
        reason: REASONS[code],
        retryAfter: B[2],
        remaining: B[3],
        resetAfter: B[4],
        permit: code === 0 ? { bits: F[5], startedAt: B[6], probe: F[7] !== 0 } : undefined,
      };
    } finally {
      exact.off();
    }
  }

  recordAt(now, permit, failed, durationNs) {
    check.bool(failed, 'failed');
    exact.on(1, now);
    try {
      F[0] = this.#h;
      F[2] = permitBits(permit);
      F[3] = failed ? 1 : 0;
      check.putU64(4, durationNs, 'durationNs');
      n.breakerRecord();
    } finally {
      exact.off();
    }
  }

  commandAt(now, command) {
    if (!(command in COMMANDS)) throw rangeError('command', 'force_open, disable or reset', command);
    exact.on(1, now);
    try {
      F[0] = this.#h;
      F[2] = COMMANDS[command];
      n.breakerCommand();
    } finally {
      exact.off();
    }
  }

  statsAt(now) {
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.breakerStats();
      return {
        state: STATES[F[1]],
        calls: B[2],
        failures: B[3],
        slow: B[4],
        consecutiveFailures: B[5],
        probesIssued: B[6],
        probesReturned: B[7],
        openLeft: B[8],
      };
    } finally {
      exact.off();
    }
  }
}

function permitBits(permit) {
  if (permit === null || typeof permit !== 'object' || typeof permit.bits !== 'number') {
    throw typeError('permit', 'a permit from tryAcquire()', permit);
  }
  return permit.bits;
}

module.exports = { CircuitBreaker, CircuitOpenError };
