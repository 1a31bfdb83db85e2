'use strict';
// Replays of the backoff and retry_budget vectors through the public API's
// explicit variants.
const weir = require('weir');
const { big, opt, header } = require('./vectors');

const U64_MAX = 0xffffffffffffffffn;
const arg = (s, name, fallback) => opt(s.args, name, fallback);

const backoffOptions = (c) => ({
  baseMs: opt(c, 'base_ns', undefined),
  capMs: opt(c, 'cap_ns', undefined),
  multiplier: c.multiplier,
  jitter: c.jitter,
  maxAttempts: opt(c, 'max_attempts', undefined),
  advisedCapMs: opt(c, 'advised_cap_ns', undefined),
});

const budgetOptions = (c) => ({
  ratio: c.ratio,
  minPerSecond: opt(c, 'min_per_second', undefined),
  windowMs: opt(c, 'window_ns', undefined),
  buckets: opt(c, 'buckets', undefined),
});

const primitives = {
  backoff: {
    fields: { base_ns: 'baseMs', cap_ns: 'capMs', multiplier: 'multiplier', max_attempts: 'maxAttempts', advised_cap_ns: 'advisedCapMs' },
    build: (c) => new weir.Backoff(backoffOptions(c)),
    step(b, s) {
      switch (s.op) {
        case 'delay':
          return { delay_ns: b.delayAt(big(s.args.retry), big(s.args.draw), arg(s, 'previous_ns', 0n)) };
        case 'next': {
          const d = b.nextAt(big(s.args.attempt), arg(s, 'draw', 0n), arg(s, 'previous_ns', 0n), arg(s, 'advised_ns', undefined));
          return { reason: d.reason, delay_ns: d.delay };
        }
        case 'parse_retry_after':
          return header(() => weir.exactHeaders.parseRetryAfter(s.args.value, arg(s, 'now_unix_s', 0n)));
        default:
          throw new Error(`unknown backoff op ${s.op}`);
      }
    },
  },
  retry_budget: {
    fields: {
      ratio: 'ratio',
      min_per_second: 'minPerSecond',
      window_ns: 'windowMs',
      buckets: 'buckets',
      base_ns: 'baseMs',
      cap_ns: 'capMs',
      multiplier: 'multiplier',
      max_attempts: 'maxAttempts',
      advised_cap_ns: 'advisedCapMs',
    },
    build: (c) => ({ budget: new weir.RetryBudget(budgetOptions(c)), backoff: new weir.Backoff(backoffOptions(c)) }),
    step({ budget, backoff }, s) {
      const now = big(s.at);
      let got = {};
      switch (s.op) {
        case 'deposit':
          budget.depositAt(now, arg(s, 'count', 1n));
          break;
        case 'withdraw': {
          const d = budget.withdrawAt(now, arg(s, 'delay_ns', 0n), arg(s, 'deadline_left_ns', U64_MAX));
          got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
          break;
        }
        case 'retry': {
          const d = budget.retryAt(now, backoff, {
            attempt: big(s.args.attempt),
            draw: arg(s, 'draw', 0n),
            previousNs: arg(s, 'previous_ns', 0n),
            advisedNs: arg(s, 'advised_ns', undefined),
            deadlineLeftNs: arg(s, 'deadline_left_ns', U64_MAX),
            noRetry: arg(s, 'no_retry', 0n) !== 0n,
          });
          got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter, delay_ns: d.delay };
          break;
        }
        default:
          throw new Error(`unknown retry_budget op ${s.op}`);
      }
      const st = budget.statsAt(now);
      return { ...got, requests: st.requests, retries: st.retries };
    },
  },
};

module.exports = { primitives };
