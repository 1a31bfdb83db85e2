'use strict';
// Lease: quota taken in batches from a store the host talks to itself and
// spent locally (lock-free, shared by every thread holding it). Core's
// planner says when to ask for the next batch and how many tokens, sized to
// the recent rate; FleetLimiter is this loop run against Redis.
const { n, F, B } = require('./native');
const check = require('./check');
const { ATTACH, KIND, create, own, share, attach, exact } = require('./handle');

const FIELDS = {
  min_batch: { name: 'minBatch' },
  max_batch: { name: 'maxBatch' },
  batch_period_ns: { name: 'batchPeriodMs' },
  lead_ns: { name: 'leadMs' },
  ttl_ns: { name: 'ttlMs' },
};
const OUTCOMES = ['spent', 'short', 'expired'];

class Lease {
  #h;
  #handle;

  /** @param {{minBatch?: number, maxBatch?: number, batchPeriodMs?: number, leadMs?: number, ttlMs?: number}} options */
  constructor(options = {}, shared = undefined) {
    if (options === ATTACH) {
      this.#handle = shared;
    } else {
      const o = check.options(options);
      B[1] = o.minBatch === undefined ? 1n : check.u64(o.minBatch, 'minBatch');
      B[2] = o.maxBatch === undefined ? 1000n : check.u64(o.maxBatch, 'maxBatch');
      check.putU64(3, check.durationNs(o.batchPeriodMs === undefined ? 100 : o.batchPeriodMs, 'batchPeriodMs'), 'batchPeriodMs');
      check.putU64(4, check.durationNs(o.leadMs === undefined ? 10 : o.leadMs, 'leadMs'), 'leadMs');
      check.putU64(5, check.durationNs(o.ttlMs === undefined ? 1000 : o.ttlMs, 'ttlMs'), 'ttlMs');
      this.#handle = create(KIND.Lease, n.leaseNew, FIELDS);
    }
    this.#h = own(this, this.#handle);
  }

  static attach(shared) {
    return new Lease(ATTACH, attach(KIND.Lease, shared, 'Lease'));
  }

  share() {
    return share(this.#handle);
  }

  /** Takes `cost` tokens: `{ ok, outcome: 'spent'|'short'|'expired', left }`. */
  spend(cost = 1) {
    if (typeof cost !== 'number' || !(cost >= 0 && cost <= 9007199254740991) || cost !== Math.floor(cost)) check.cost(cost);
    F[0] = this.#h;
    F[2] = cost;
    n.leaseSpend();
    const code = F[1];
    return { ok: code === 0, outcome: OUTCOMES[code], left: F[2] };
  }

  /** Adds `tokens` the store granted, spendable for `ttlMs` from now; returns the tokens held. */
  grant(tokens, ttlMs) {
    F[0] = this.#h;
    F[2] = check.integer(tokens, 'tokens', 0);
    F[3] = Number(check.durationNs(ttlMs, 'ttlMs'));
    F[4] = 1;
    n.leaseGrant();
    return F[1];
  }

  /**
   * What to ask the store for next, given the demand seen (`tokens` over
   * `overMs`): `{ ask, inMs, lowWater }` — ask for `ask` tokens in `inMs`
   * (0: now; Infinity: no demand, nothing to ask), or once the lease is
   * down to `lowWater`.
   */
  plan(tokens, overMs) {
    F[0] = this.#h;
    F[2] = check.integer(tokens, 'tokens', 0);
    F[3] = Number(check.durationNs(overMs, 'overMs'));
    F[6] = 1;
    n.leasePlan();
    const ask = F[1];
    const nextAt = F[2];
    const lowWater = F[3];
    n.clock();
    const inMs = nextAt >= 18446744073709551615 ? Infinity : Math.max(0, (nextAt - F[2]) / 1e6);
    return { ask, inMs, lowWater };
  }

  /** Tokens held and whether they are still live. */
  stats() {
    F[0] = this.#h;
    n.leaseSnapshot();
    return { left: F[1] };
  }

  /** Drops what is left (e.g. before handing quota back); returns how many. */
  revoke() {
    F[0] = this.#h;
    n.leaseRevoke();
    return F[1];
  }

  // Explicit-time variants (bigint ns), answering in exact bigints.
  planAt(now, { rateTokens, rateOverNs, left, expiresAt }) {
    check.putU64(2, rateTokens, 'rateTokens');
    check.putU64(3, rateOverNs, 'rateOverNs');
    check.putU64(4, left, 'left');
    check.putU64(5, expiresAt, 'expiresAt');
    F[6] = 0;
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.leasePlan();
      return { ask: B[1], nextAt: B[2], lowWater: B[3] };
    } finally {
      exact.off();
    }
  }

  grantAt(now, tokens, expiresAt) {
    check.putU64(2, tokens, 'tokens');
    check.putU64(3, expiresAt, 'expiresAt');
    F[4] = 0;
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.leaseGrant();
      return B[1];
    } finally {
      exact.off();
    }
  }

  spendAt(now, cost) {
    check.putU64(2, cost, 'cost');
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.leaseSpend();
      return { outcome: OUTCOMES[F[1]], left: B[2] };
    } finally {
      exact.off();
    }
  }
}

module.exports = { Lease };
