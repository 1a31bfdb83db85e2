'use strict';
// FleetLimiter: `rate` per `per` across every process on every machine that
// uses the same Redis key. Each process leases batches of quota (sized to
// its recent rate) and spends them locally; while Redis is slow or down it
// admits its share `rate / nodes` on its own, never failing open.
const { n, F, B, CONFIG, FULL, OK } = require('./native');
const check = require('./check');
const { typeError, rangeError } = require('./errors');
const { KIND, own, disown } = require('./handle');
const { answer, waitFor, waitOptions } = require('./limiter');

const FIELDS = {
  limit: 'rate',
  period_ns: 'per',
  burst: 'burst',
  nodes: 'nodes',
  min_batch: 'minBatch',
  max_batch: 'maxBatch',
  batch_period_ns: 'batchPeriodMs',
  lead_ns: 'leadMs',
  ttl_ns: 'leaseTtlMs',
  lease_ttl_ns: 'leaseTtlMs',
  redis_timeout_ns: 'redisTimeoutMs',
  retry_interval_ns: 'retryIntervalMs',
  fallback_burst: 'fallbackBurst',
  key_idle_ttl_ns: 'keyIdleTtlMs',
};

const DURATIONS = [
  [7, 'batchPeriodMs', 100],
  [8, 'leadMs', 10],
  [9, 'leaseTtlMs', 1000],
  [10, 'redisTimeoutMs', 50],
  [11, 'retryIntervalMs', 50],
  [13, 'keyIdleTtlMs', 60000],
];
const COUNTS = [
  [3, 'burst', 0n],
  [4, 'nodes', 1n],
  [5, 'minBatch', 0n],
  [6, 'maxBatch', 0n],
  [12, 'fallbackBurst', 0n],
];

class FleetLimiter {
  #h;
  #handle;
  #closed = false;

  /**
   * @param {{redisUrl: string, key: string, rate: number|bigint, per?: number|string|bigint, nodes?: number,
   *   burst?: number, minBatch?: number, maxBatch?: number, batchPeriodMs?: number, leadMs?: number,
   *   leaseTtlMs?: number, redisTimeoutMs?: number, retryIntervalMs?: number, fallbackBurst?: number,
   *   keyIdleTtlMs?: number}} options
   */
  constructor(options) {
    const o = check.options(options);
    if (typeof o.redisUrl !== 'string') throw typeError('redisUrl', 'a redis:// URL string', o.redisUrl);
    if (typeof o.key !== 'string' || o.key.length === 0) throw typeError('key', 'a non-empty string', o.key);
    B[1] = check.u64(o.rate, 'rate', 1);
    check.putU64(2, check.durationNs(o.per === undefined ? 'second' : o.per, 'per'), 'per');
    for (const [slot, name, fallback] of COUNTS) B[slot] = o[name] === undefined ? fallback : check.u64(o[name], name);
    for (const [slot, name, ms] of DURATIONS) check.putU64(slot, check.durationNs(o[name] === undefined ? ms : o[name], name), name);
    n.fleetNew(o.redisUrl, o.key);
    const status = F[1];
    if (status === CONFIG) {
      const [field, rule, got] = n.lastError() || ['options', 'valid', '?'];
      throw rangeError(FIELDS[field] || field, rule, got);
    }
    if (status === FULL) throw new RangeError('too many live FleetLimiters');
    if (status !== OK) {
      const message = n.lastFleetError() || 'cannot start';
      if (status === 4) throw rangeError('redisUrl', 'a redis:// URL', `${JSON.stringify(o.redisUrl)} (${message})`);
      throw new Error(`weir: FleetLimiter: ${message}`);
    }
    this.#handle = { index: F[2], gen: F[3], kind: KIND.FleetLimiter };
    this.#h = own(this, this.#handle);
  }

  #live() {
    if (this.#closed) throw new Error('weir: FleetLimiter is closed');
    return this.#h;
  }

  /** Takes `cost` tokens from this process's lease; never waits on Redis. */
  tryAcquire(cost = 1) {
    if (typeof cost !== 'number' || !(cost >= 0 && cost <= 9007199254740991) || cost !== Math.floor(cost)) check.cost(cost);
    F[0] = this.#live();
    F[2] = cost;
    n.fleetAcquire();
    return answer();
  }

  acquire(cost = 1, options = undefined) {
    try {
      check.cost(cost);
      this.#live();
      return waitFor(() => this.tryAcquire(cost), waitOptions(options));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  stats() {
    F[0] = this.#live();
    n.fleetStats();
    return {
      admitted: F[1],
      rejected: F[2],
      redisCalls: F[3],
      leases: F[4],
      leasedTokens: F[5],
      fallbacks: F[6],
      resumes: F[7],
      fallbackAdmitted: F[8],
      inFallback: F[9] === 1,
      leaseLeft: F[10],
      bound: F[11],
      maxBatch: F[12],
    };
  }

  /** Stops the refill thread now rather than when the limiter is collected. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    disown(this, this.#handle);
  }
}

module.exports = { FleetLimiter };
