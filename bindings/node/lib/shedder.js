'use strict';
// Adaptive overload protection (BBR-style) with an opt-in CPU sampler that
// runs in a native thread.
const { EventEmitter } = require('node:events');
const { n, F, B } = require('./native');
const { CALL, DECISION, SHEDDER_NEW, SHEDDER_CALL, SHEDDER_STATS } = require('./layout');
const { Events } = require('./events');
const check = require('./check');
const { OverloadedError, typeError, isLocalRefusal } = require('./errors');
const { ATTACH, KIND, create, own, share, attach, exact } = require('./handle');
const { REASONS, ms, exactDecision } = require('./reason');
const { decisionCounts } = require('./limiter');

const SHEDDER_FIELDS = {
  window_ns: { name: 'windowMs' },
  buckets: { name: 'buckets' },
  cpu_threshold: { name: 'cpuThreshold' },
  cpu_decay: { name: 'cpuDecay' },
  cool_off_ns: { name: 'coolOffMs' },
  max_queue: { name: 'maxQueue' },
};

function samplerInterval(v) {
  if (v === undefined || v === false) return 0;
  if (v === true) return 500e6;
  check.options(v, 'cpuSampler');
  const ns = v.intervalMs === undefined ? 500e6 : check.durationNs(v.intervalMs, 'cpuSampler.intervalMs', { min: 1 });
  return Number(ns);
}

class Shedder extends EventEmitter {
  #h;
  #handle;
  #events = new Events(this, n.shedderNextEvent, () => this.#h);

  /**
   * @param {{windowMs?: number, buckets?: number, cpuThreshold?: number, cpuDecay?: number,
   *   coolOffMs?: number, maxQueue?: number, cpuSampler?: boolean | {intervalMs?: number}}} options
   */
  constructor(options = {}, shared = undefined) {
    super();
    if (options === ATTACH) {
      this.#handle = shared;
      this.#h = own(this, this.#handle);
      return;
    }
    const o = check.options(options);
    const windowNs = check.durationNs(o.windowMs === undefined ? 10000 : o.windowMs, 'windowMs');
    const buckets = o.buckets === undefined ? 100 : check.integer(o.buckets, 'buckets', 1, 128);
    const threshold = o.cpuThreshold === undefined ? 800 : check.integer(o.cpuThreshold, 'cpuThreshold', 1, 1000);
    const decay = o.cpuDecay === undefined ? 0.95 : check.finite(o.cpuDecay, 'cpuDecay', 0, 1);
    const coolOffNs = check.durationNs(o.coolOffMs === undefined ? 1000 : o.coolOffMs, 'coolOffMs');
    const maxQueue = o.maxQueue === undefined ? 0n : check.u64(o.maxQueue, 'maxQueue');
    const interval = samplerInterval(o.cpuSampler);
    check.putU64(SHEDDER_NEW.WINDOW, windowNs, 'windowMs');
    B[SHEDDER_NEW.BUCKETS] = BigInt(buckets);
    B[SHEDDER_NEW.CPU_THRESHOLD] = BigInt(threshold);
    F[SHEDDER_NEW.CPU_DECAY] = decay;
    check.putU64(SHEDDER_NEW.COOL_OFF, coolOffNs, 'coolOffMs');
    B[SHEDDER_NEW.MAX_QUEUE] = maxQueue;
    this.#handle = create(KIND.Shedder, n.shedderNew, SHEDDER_FIELDS);
    this.#h = own(this, this.#handle);
    if (interval > 0) this.#sample(interval);
  }

  /** The Shedder that another thread shared with `share()`. */
  static attach(shared) {
    return new Shedder(ATTACH, attach(KIND.Shedder, shared, 'Shedder'));
  }

  share() {
    return share(this.#handle);
  }

  #sample(intervalNs) {
    F[CALL.HANDLE] = this.#h;
    B[SHEDDER_CALL.INTERVAL] = BigInt(intervalNs);
    n.shedderSample();
    if (F[SHEDDER_CALL.RUNNING] !== 1) throw new Error('weir: could not start the CPU sampler thread');
  }

  /** Asks to start a request. Admitted: `{ ok: true, startedAt }`, to pass to `done`. */
  tryAcquire() {
    F[CALL.HANDLE] = this.#h;
    n.shedderAcquire();
    this.#events.after();
    const code = F[DECISION.REASON];
    if (code === 0) return { ok: true, reason: 'admitted', retryAfterMs: 0, startedAt: F[SHEDDER_CALL.ACQUIRED_AT] };
    const startedAt = F[SHEDDER_CALL.ACQUIRED_AT];
    return { ok: false, reason: REASONS[code], retryAfterMs: ms(F[DECISION.RETRY_AFTER]), startedAt };
  }

  /** Ends a request admitted by `tryAcquire`, recording its response time. */
  done(ticket) {
    const startedAt = ticket !== null && typeof ticket === 'object' ? ticket.startedAt : ticket;
    check.number(startedAt, 'ticket.startedAt');
    F[CALL.HANDLE] = this.#h;
    F[SHEDDER_CALL.STARTED_AT] = startedAt;
    n.shedderDone();
  }

  /**
   * Ends a request admitted by `tryAcquire` that never did its work (a
   * client gone, a chain cancelled before sending): its near-zero time would
   * teach the shedder a minimum response time too low.
   */
  cancel(ticket) {
    if (ticket === null || typeof ticket !== 'object' || ticket.ok !== true) {
      throw typeError('ticket', 'an admitted ticket from tryAcquire()', ticket);
    }
    F[CALL.HANDLE] = this.#h;
    n.shedderCancel();
  }

  /**
   * Runs `fn` unless overloaded; rejects with OverloadedError otherwise. A
   * weir refusal inside `fn` (a throttle, limit or deadline that answered
   * before the work was done) ends the request without a response time.
   */
  async run(fn) {
    check.fn(fn, 'fn');
    F[CALL.HANDLE] = this.#h;
    n.shedderAcquire();
    this.#events.after();
    const code = F[DECISION.REASON];
    if (code !== 0) throw new OverloadedError(REASONS[code], ms(F[DECISION.RETRY_AFTER]));
    const startedAt = F[SHEDDER_CALL.ACQUIRED_AT];
    let refused = false;
    try {
      return await fn();
    } catch (e) {
      refused = isLocalRefusal(e);
      throw e;
    } finally {
      F[CALL.HANDLE] = this.#h;
      F[SHEDDER_CALL.STARTED_AT] = startedAt;
      if (refused) n.shedderCancel();
      else n.shedderDone();
    }
  }

  /** Feeds a CPU sample (permille of what the service may use); returns the smoothed value. */
  recordCpu(permille) {
    check.integer(permille, 'permille', 0, 1000);
    F[CALL.HANDLE] = this.#h;
    F[SHEDDER_CALL.PERMILLE] = permille;
    n.shedderCpu();
    return F[SHEDDER_CALL.CPU];
  }

  /** What the shedder knows now, and its decisions by reason (counted natively, every thread). */
  stats() {
    F[CALL.HANDLE] = this.#h;
    n.shedderStats();
    const stats = {
      inFlight: F[SHEDDER_STATS.IN_FLIGHT],
      cpu: F[SHEDDER_STATS.CPU],
      maxPass: F[SHEDDER_STATS.MAX_PASS],
      minRtMs: F[SHEDDER_STATS.MIN_RT] / 1e6,
      maxInFlight: F[SHEDDER_STATS.MAX_IN_FLIGHT],
      coolingOff: F[SHEDDER_STATS.COOLING_OFF] === 1,
    };
    F[CALL.HANDLE] = this.#h;
    n.shedderDecisions();
    stats.decisions = decisionCounts().decisions;
    return stats;
  }

  /** Stops the CPU sampler, if one runs. */
  close() {
    F[CALL.HANDLE] = this.#h;
    n.shedderClose();
  }

  // Explicit-time variants (bigint ns), answering in exact bigints.
  acquireAt(now) {
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.shedderAcquire();
      this.#events.after();
      return { ...exactDecision(), startedAt: B[SHEDDER_CALL.ACQUIRED_AT] };
    });
  }

  doneAt(startedAt, now) {
    if (typeof startedAt !== 'bigint') throw typeError('startedAt', 'a bigint (nanoseconds)', startedAt);
    check.putU64(SHEDDER_CALL.STARTED_AT, startedAt, 'startedAt');
    exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.shedderDone();
    });
  }

  statsAt(now) {
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.shedderStats();
      return {
        inFlight: B[SHEDDER_STATS.IN_FLIGHT],
        cpu: F[SHEDDER_STATS.CPU],
        maxPass: B[SHEDDER_STATS.MAX_PASS],
        minRtNs: B[SHEDDER_STATS.MIN_RT],
        maxInFlight: B[SHEDDER_STATS.MAX_IN_FLIGHT],
        coolingOff: F[SHEDDER_STATS.COOLING_OFF] === 1,
      };
    });
  }
}

module.exports = { Shedder };
