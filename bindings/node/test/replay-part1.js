'use strict';
// Replays of the limiter, keyed_limiter, concurrency_limiter, shedder and
// throttle vectors through the public API's explicit-time methods.
const assert = require('node:assert/strict');
const weir = require('weir');
const { big, opt } = require('./vectors');

/** Compares each `expect` field present with the answer. */
function expectFields(step, i, got) {
  const want = step.expect || {};
  for (const [name, value] of Object.entries(want)) {
    if (!(name in got)) throw new Error(`step ${i}: no replay of expect field ${name}`);
    const actual = got[name];
    if (Array.isArray(value)) {
      // A list of records (a breaker's transitions): same length, and each
      // field a record names compared as a scalar.
      assert.equal(actual.length, value.length, `step ${i} (${JSON.stringify(step)}): ${name}: got ${JSON.stringify(actual, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      value.forEach((w, k) => expectFields({ expect: w }, `${i} ${name}[${k}]`, actual[k]));
      continue;
    }
    if (value === null) {
      assert.equal(actual, null, `step ${i} (${JSON.stringify(step)}): ${name}`);
      continue;
    }
    const expected = typeof value === 'boolean' || (typeof value === 'string' && !/^\d+$/.test(value)) ? value : big(value);
    assert.deepEqual(typeof expected === 'bigint' ? BigInt(actual) : actual, expected, `step ${i} (${JSON.stringify(step)}): ${name}`);
  }
}

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
  shedder: {
    fields: {
      window_ns: 'windowMs',
      buckets: 'buckets',
      cpu_threshold: 'cpuThreshold',
      cpu_decay: 'cpuDecay',
      cool_off_ns: 'coolOffMs',
      max_queue: 'maxQueue',
    },
    build: (c) =>
      new weir.Shedder({
        windowMs: opt(c, 'window_ns', undefined),
        buckets: c.buckets,
        cpuThreshold: c.cpu_threshold,
        cpuDecay: c.cpu_decay,
        coolOffMs: opt(c, 'cool_off_ns', undefined),
        maxQueue: c.max_queue,
      }),
    step(sh, s) {
      const now = big(s.at);
      let got = {};
      if (s.op === 'acquire') {
        const d = sh.acquireAt(now);
        got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
      } else if (s.op === 'done') {
        sh.doneAt(big(s.args.started_at), now);
      } else if (s.op === 'cpu') {
        got = { cpu: Math.floor(sh.recordCpu(Number(s.args.permille))) };
      } else {
        throw new Error(`unknown op ${s.op}`);
      }
      const st = sh.statsAt(now);
      return { ...got, in_flight: st.inFlight, max_in_flight: st.maxInFlight };
    },
  },
  throttle: {
    fields: {
      k: 'k',
      window_ns: 'windowMs',
      buckets: 'buckets',
      min_requests: 'minRequests',
      max_reject_probability: 'maxRejectProbability',
    },
    build: (c) =>
      new weir.Throttle({
        k: c.k,
        windowMs: opt(c, 'window_ns', undefined),
        buckets: c.buckets,
        minRequests: c.min_requests,
        maxRejectProbability: c.max_reject_probability,
      }),
    step(t, s) {
      const now = big(s.at);
      const ppm = BigInt(Math.floor(t.statsAt(now).rejectProbability * 1e6));
      let got = {};
      if (s.op === 'acquire') {
        const d = t.acquireAt(now, big(s.args.draw));
        got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
      } else if (s.op === 'record') {
        t.recordAt(now, s.args.success);
      } else if (s.op === 'forget') {
        t.forgetAt(big(s.args.acquired_at));
      } else {
        throw new Error(`unknown op ${s.op}`);
      }
      return { ...got, reject_probability_ppm: ppm };
    },
  },
};

module.exports = { primitives, expectFields };
