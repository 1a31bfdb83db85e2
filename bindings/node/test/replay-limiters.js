'use strict';
// Replays of the limiter, keyed_limiter, multi_limiter and concurrency_limiter
// vectors through the public API's explicit-time methods.
const weir = require('weir');
const { big, opt } = require('./vectors');

/** A live change to core's config through `setAt(...args)`: accepted, or the
 * field it was refused for, as core's vectors name it. */
function setRate(set) {
  try {
    set();
    return {};
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { error: e.field === 'periodNs' ? 'period_ns' : e.field };
  }
}

const coreConfig = (a) => ({ rate: big(a.rate), periodNs: opt(a, 'period_ns', 1000000000n), burst: big(a.burst) });

const limiterOptions = (c) => ({ rate: opt(c, 'rate', 0n), per: opt(c, 'period_ns', 1000000000n), burst: opt(c, 'burst', 0n) });

const primitives = {
  limiter: {
    fields: { rate: 'rate', period_ns: 'per', burst: 'burst' },
    build: (c) => new weir.Limiter(limiterOptions(c)),
    step(l, s) {
      if (s.op === 'set_rate') return setRate(() => l.setAt(big(s.at), coreConfig(s.args)));
      const d = l.tryAcquireAt(big(s.at), big(s.args.cost));
      return { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
    },
  },
  keyed_limiter: {
    fields: { rate: 'rate', period_ns: 'per', burst: 'burst', capacity: 'capacity' },
    build: (c) => new weir.KeyedLimiter({ ...limiterOptions(c), capacity: c.capacity }),
    step(k, s) {
      const now = big(s.at);
      if (s.op === 'set_rate') return setRate(() => k.setAt(now, coreConfig(s.args)));
      const d = k.tryAcquireAt(big(s.args.key), now, big(s.args.cost));
      const live = k.statsAt(now).live;
      return { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter, live };
    },
  },
  multi_limiter: {
    fields: { rates: 'rates', rate: 'rate', period_ns: 'per', burst: 'burst' },
    build: (c) => new weir.MultiLimiter((c.rates || []).map(limiterOptions)),
    step(m, s) {
      if (s.op === 'set_rate') return setRate(() => m.setAt(Number(s.args.index), big(s.at), coreConfig(s.args)));
      const d = m.tryAcquireAt(big(s.at), big(s.args.cost));
      return { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
    },
  },
  concurrency_limiter: {
    fields: { max_in_flight: 'max' },
    build: (c) => new weir.ConcurrencyLimiter({ max: opt(c, 'max_in_flight', 0n) }),
    step(l, s) {
      let got = {};
      if (s.op === 'acquire') {
        const d = l.tryAcquire();
        got = { reason: d.reason, remaining: d.remaining };
      } else if (s.op === 'release') {
        got = { released: l.release() };
      } else {
        throw new Error(`unknown op ${s.op}`);
      }
      return { ...got, in_flight: l.inFlight };
    },
  },
};

module.exports = { primitives };
