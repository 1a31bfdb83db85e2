'use strict';
// Lease: quota taken in batches from a store the host talks to itself and
// spent locally (lock-free, shared by every thread holding it). Core's
// planner says when to ask for the next batch and how many tokens, sized to
// the recent rate; FleetLimiter is this loop run against Redis.
const { n, F, B } = require('./native');
const { CALL, CLOCK, LEASE_NEW, LEASE_PLAN, LEASE_GRANT, LEASE_SPEND, LEASE_SNAPSHOT } = require('./layout');
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
      B[LEASE_NEW.MIN_BATCH] = o.minBatch === undefined ? 1n : check.u64(o.minBatch, 'minBatch');
      B[LEASE_NEW.MAX_BATCH] = o.maxBatch === undefined ? 1000n : check.u64(o.maxBatch, 'maxBatch');
      check.putU64(LEASE_NEW.BATCH_PERIOD, check.durationNs(o.batchPeriodMs === undefined ? 100 : o.batchPeriodMs, 'batchPeriodMs'), 'batchPeriodMs');
      check.putU64(LEASE_NEW.LEAD, check.durationNs(o.leadMs === undefined ? 10 : o.leadMs, 'leadMs'), 'leadMs');
      check.putU64(LEASE_NEW.TTL, check.durationNs(o.ttlMs === undefined ? 1000 : o.ttlMs, 'ttlMs'), 'ttlMs');
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
    F[CALL.HANDLE] = this.#h;
    F[LEASE_SPEND.COST] = cost;
    n.leaseSpend();
    const code = F[LEASE_SPEND.OUTCOME];
    return { ok: code === 0, outcome: OUTCOMES[code], left: F[LEASE_SPEND.LEFT] };
  }

  /** Adds `tokens` the store granted, spendable for `ttlMs` from now; returns the tokens held. */
  grant(tokens, ttlMs) {
    F[CALL.HANDLE] = this.#h;
    F[LEASE_GRANT.TOKENS] = check.integer(tokens, 'tokens', 0);
    F[LEASE_GRANT.TTL] = Number(check.durationNs(ttlMs, 'ttlMs'));
    F[LEASE_GRANT.TTL_GIVEN] = 1;
    n.leaseGrant();
    return F[LEASE_GRANT.LEFT];
  }

  /**
   * What to ask the store for next, given the demand seen (`tokens` over
   * `overMs`): `{ ask, inMs, lowWater }` — ask for `ask` tokens in `inMs`
   * (0: now; Infinity: no demand, nothing to ask), or once the lease is
   * down to `lowWater`.
   */
  plan(tokens, overMs) {
    F[CALL.HANDLE] = this.#h;
    F[LEASE_PLAN.RATE_TOKENS] = check.integer(tokens, 'tokens', 0);
    F[LEASE_PLAN.RATE_OVER] = Number(check.durationNs(overMs, 'overMs'));
    F[LEASE_PLAN.OWN] = 1;
    n.leasePlan();
    const ask = F[LEASE_PLAN.ASK];
    const nextAt = F[LEASE_PLAN.NEXT_AT];
    const lowWater = F[LEASE_PLAN.LOW_WATER];
    n.clock();
    const inMs = nextAt >= 18446744073709551615 ? Infinity : Math.max(0, (nextAt - F[CLOCK.NS_F64]) / 1e6);
    return { ask, inMs, lowWater };
  }

  /** Tokens held and whether they are still live. */
  stats() {
    F[CALL.HANDLE] = this.#h;
    n.leaseSnapshot();
    return { left: F[LEASE_SNAPSHOT.LEFT] };
  }

  /** Drops what is left (e.g. before handing quota back); returns how many. */
  revoke() {
    F[CALL.HANDLE] = this.#h;
    n.leaseRevoke();
    return F[LEASE_SNAPSHOT.DROPPED];
  }

  // Explicit-time variants (bigint ns), answering in exact bigints.
  planAt(now, { rateTokens, rateOverNs, left, expiresAt }) {
    check.putU64(LEASE_PLAN.RATE_TOKENS, rateTokens, 'rateTokens');
    check.putU64(LEASE_PLAN.RATE_OVER, rateOverNs, 'rateOverNs');
    check.putU64(LEASE_PLAN.LEFT, left, 'left');
    check.putU64(LEASE_PLAN.EXPIRES_AT, expiresAt, 'expiresAt');
    F[LEASE_PLAN.OWN] = 0;
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.leasePlan();
      return { ask: B[LEASE_PLAN.ASK], nextAt: B[LEASE_PLAN.NEXT_AT], lowWater: B[LEASE_PLAN.LOW_WATER] };
    });
  }

  grantAt(now, tokens, expiresAt) {
    check.putU64(LEASE_GRANT.TOKENS, tokens, 'tokens');
    check.putU64(LEASE_GRANT.EXPIRES_AT, expiresAt, 'expiresAt');
    F[LEASE_GRANT.TTL_GIVEN] = 0;
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.leaseGrant();
      return B[LEASE_GRANT.LEFT];
    });
  }

  spendAt(now, cost) {
    check.putU64(LEASE_SPEND.COST, cost, 'cost');
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.leaseSpend();
      return { outcome: OUTCOMES[F[LEASE_SPEND.OUTCOME]], left: B[LEASE_SPEND.LEFT] };
    });
  }
}

module.exports = { Lease };
