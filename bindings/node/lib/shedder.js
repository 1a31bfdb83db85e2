'use strict';
// Adaptive overload protection (BBR-style) with an opt-in CPU sampler that
// runs in a native thread.
const { EventEmitter } = require('node:events');
const { n, F, B } = require('./native');
const { Events } = require('./events');
const check = require('./check');
const { OverloadedError, typeError, isLocalRefusal } = require('./errors');
const { ATTACH, KIND, create, own, share, attach, exact } = require('./handle');
const { REASONS, ms } = require('./reason');

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
    check.putU64(1, windowNs, 'windowMs');
    B[2] = BigInt(buckets);
    B[3] = BigInt(threshold);
    F[4] = decay;
    check.putU64(5, coolOffNs, 'coolOffMs');
    B[6] = maxQueue;
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
    F[0] = this.#h;
    B[2] = BigInt(intervalNs);
    n.shedderSample();
    if (F[1] !== 1) throw new Error('weir: could not start the CPU sampler thread');
  }

  /** Asks to start a request. Admitted: `{ ok: true, startedAt }`, to pass to `done`. */
  tryAcquire() {
    F[0] = this.#h;
    n.shedderAcquire();
    this.#events.after();
    const code = F[1];
    if (code === 0) return { ok: true, reason: 'admitted', retryAfterMs: 0, startedAt: F[5] };
    return { ok: false, reason: REASONS[code], retryAfterMs: ms(F[2]), startedAt: F[5] };
  }

  /** Ends a request admitted by `tryAcquire`, recording its response time. */
  done(ticket) {
    const startedAt = ticket !== null && typeof ticket === 'object' ? ticket.startedAt : ticket;
    check.number(startedAt, 'ticket.startedAt');
    F[0] = this.#h;
    F[2] = startedAt;
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
    F[0] = this.#h;
    n.shedderCancel();
  }

  /**
   * Runs `fn` unless overloaded; rejects with OverloadedError otherwise. A
   * weir refusal inside `fn` (a throttle, limit or deadline that answered
   * before the work was done) ends the request without a response time.
   */
  async run(fn) {
    check.fn(fn, 'fn');
    F[0] = this.#h;
    n.shedderAcquire();
    this.#events.after();
    const code = F[1];
    if (code !== 0) throw new OverloadedError(REASONS[code], ms(F[2]));
    const startedAt = F[5];
    let refused = false;
    try {
      return await fn();
    } catch (e) {
      refused = isLocalRefusal(e);
      throw e;
    } finally {
      F[0] = this.#h;
      F[2] = startedAt;
      if (refused) n.shedderCancel();
      else n.shedderDone();
    }
  }

  /** Feeds a CPU sample (permille of what the service may use); returns the smoothed value. */
  recordCpu(permille) {
    check.integer(permille, 'permille', 0, 1000);
    F[0] = this.#h;
    F[2] = permille;
    n.shedderCpu();
    return F[1];
  }

  stats() {
    F[0] = this.#h;
    n.shedderStats();
    return { inFlight: F[1], cpu: F[2], maxPass: F[3], minRtMs: F[4] / 1e6, maxInFlight: F[5], coolingOff: F[6] === 1 };
  }

  /** Stops the CPU sampler, if one runs. */
  close() {
    F[0] = this.#h;
    n.shedderClose();
  }

  // Explicit-time variants (bigint ns), answering in exact bigints.
  acquireAt(now) {
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.shedderAcquire();
      this.#events.after();
      return { reason: REASONS[F[1]], retryAfter: B[2], remaining: B[3], resetAfter: B[4], startedAt: B[5] };
    } finally {
      exact.off();
    }
  }

  doneAt(startedAt, now) {
    if (typeof startedAt !== 'bigint') throw typeError('startedAt', 'a bigint (nanoseconds)', startedAt);
    check.putU64(2, startedAt, 'startedAt');
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.shedderDone();
    } finally {
      exact.off();
    }
  }

  statsAt(now) {
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.shedderStats();
      return { inFlight: B[1], cpu: F[2], maxPass: B[3], minRtNs: B[4], maxInFlight: B[5], coolingOff: F[6] === 1 };
    } finally {
      exact.off();
    }
  }
}

module.exports = { Shedder };
