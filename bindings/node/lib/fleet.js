'use strict';
// FleetLimiter: `rate` per `per` across every process on every machine that
// uses the same Redis key. Each process leases batches of quota (sized to
// its recent rate) and spends them locally; while Redis is slow or down it
// admits its share `rate / nodes` on its own, never failing open.
const { n, F, B } = require('./native');
const { CALL, STATUS, CREATED, ACQUIRE, FLEET_NEW, FLEET_STATS } = require('./layout');
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
  [FLEET_NEW.BATCH_PERIOD, 'batchPeriodMs', 100],
  [FLEET_NEW.LEAD, 'leadMs', 10],
  [FLEET_NEW.LEASE_TTL, 'leaseTtlMs', 1000],
  [FLEET_NEW.REDIS_TIMEOUT, 'redisTimeoutMs', 50],
  [FLEET_NEW.RETRY_INTERVAL, 'retryIntervalMs', 50],
  [FLEET_NEW.KEY_IDLE_TTL, 'keyIdleTtlMs', 60000],
];
const COUNTS = [
  [FLEET_NEW.BURST, 'burst', 0n],
  [FLEET_NEW.NODES, 'nodes', 1n],
  [FLEET_NEW.MIN_BATCH, 'minBatch', 0n],
  [FLEET_NEW.MAX_BATCH, 'maxBatch', 0n],
  [FLEET_NEW.FALLBACK_BURST, 'fallbackBurst', 0n],
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
    B[FLEET_NEW.RATE] = check.u64(o.rate, 'rate', 1);
    check.putU64(FLEET_NEW.PER, check.durationNs(o.per === undefined ? 'second' : o.per, 'per'), 'per');
    for (const [slot, name, fallback] of COUNTS) B[slot] = o[name] === undefined ? fallback : check.u64(o[name], name);
    for (const [slot, name, ms] of DURATIONS) check.putU64(slot, check.durationNs(o[name] === undefined ? ms : o[name], name), name);
    n.fleetNew(o.redisUrl, o.key);
    const status = F[CALL.STATUS];
    if (status === STATUS.CONFIG) {
      const [field, rule, got] = n.lastError() || ['options', 'valid', '?'];
      throw rangeError(FIELDS[field] || field, rule, got);
    }
    if (status === STATUS.FULL) throw new RangeError('too many live FleetLimiters');
    if (status !== STATUS.OK) {
      const message = n.lastFleetError() || 'cannot start';
      if (status === STATUS.BAD_URL) throw rangeError('redisUrl', 'a redis:// URL', `${JSON.stringify(o.redisUrl)} (${message})`);
      throw new Error(`weir: FleetLimiter: ${message}`);
    }
    this.#handle = { index: F[CREATED.INDEX], gen: F[CREATED.GEN], kind: KIND.FleetLimiter };
    this.#h = own(this, this.#handle);
  }

  #live() {
    if (this.#closed) throw new Error('weir: FleetLimiter is closed');
    return this.#h;
  }

  /** Takes `cost` tokens from this process's lease; never waits on Redis. */
  tryAcquire(cost = 1) {
    if (typeof cost !== 'number' || !(cost >= 0 && cost <= 9007199254740991) || cost !== Math.floor(cost)) check.cost(cost);
    F[CALL.HANDLE] = this.#live();
    F[ACQUIRE.COST] = cost;
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
    F[CALL.HANDLE] = this.#live();
    n.fleetStats();
    return {
      admitted: F[FLEET_STATS.ADMITTED],
      rejected: F[FLEET_STATS.REJECTED],
      redisCalls: F[FLEET_STATS.REDIS_CALLS],
      leases: F[FLEET_STATS.LEASES],
      leasedTokens: F[FLEET_STATS.LEASED_TOKENS],
      fallbacks: F[FLEET_STATS.FALLBACKS],
      resumes: F[FLEET_STATS.RESUMES],
      fallbackAdmitted: F[FLEET_STATS.FALLBACK_ADMITTED],
      inFallback: F[FLEET_STATS.IN_FALLBACK] === 1,
      leaseLeft: F[FLEET_STATS.LEASE_LEFT],
      bound: F[FLEET_STATS.BOUND],
      maxBatch: F[FLEET_STATS.MAX_BATCH],
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
