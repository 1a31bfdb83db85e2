'use strict';
// Replays of the lease vectors through the public API's explicit variants.
const weir = require('weir');
const { big, opt } = require('./vectors');

const primitives = {
  lease: {
    fields: { min_batch: 'minBatch', max_batch: 'maxBatch', batch_period_ns: 'batchPeriodMs', lead_ns: 'leadMs', ttl_ns: 'ttlMs' },
    build: (c) =>
      new weir.Lease({
        minBatch: opt(c, 'min_batch', undefined),
        maxBatch: opt(c, 'max_batch', undefined),
        batchPeriodMs: opt(c, 'batch_period_ns', undefined),
        leadMs: opt(c, 'lead_ns', undefined),
        ttlMs: opt(c, 'ttl_ns', undefined),
      }),
    step(l, s) {
      const now = big(s.at);
      switch (s.op) {
        case 'plan': {
          const p = l.planAt(now, {
            rateTokens: big(s.args.rate_tokens),
            rateOverNs: big(s.args.rate_over_ns),
            left: big(s.args.left),
            expiresAt: big(s.args.expires_at),
          });
          return { ask: p.ask, next_at: p.nextAt, low_water: p.lowWater };
        }
        case 'grant':
          return { left: l.grantAt(now, big(s.args.tokens), big(s.args.expires_at)) };
        case 'spend':
          return l.spendAt(now, big(s.args.cost));
        default:
          throw new Error(`unknown lease op ${s.op}`);
      }
    },
  },
};

module.exports = { primitives };
