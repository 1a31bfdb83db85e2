'use strict';
// Wrong types are TypeErrors and out-of-range values RangeErrors, each
// naming the field; nothing a caller passes crashes the process.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const weir = require('weir');

const cases = [
  ['Limiter without options', () => new weir.Limiter(), TypeError, 'rate'],
  ['Limiter options not an object', () => new weir.Limiter(5), TypeError, 'options'],
  ['Limiter options null', () => new weir.Limiter(null), TypeError, 'options'],
  ['rate as a string', () => new weir.Limiter({ rate: '10' }), TypeError, 'rate'],
  ['rate NaN', () => new weir.Limiter({ rate: NaN }), RangeError, 'rate'],
  ['rate zero', () => new weir.Limiter({ rate: 0 }), RangeError, 'rate'],
  ['rate negative', () => new weir.Limiter({ rate: -1 }), RangeError, 'rate'],
  ['rate above u64', () => new weir.Limiter({ rate: 2n ** 64n }), RangeError, 'rate'],
  ['rate above one per ns', () => new weir.Limiter({ rate: 2000, per: 0.001 }), RangeError, 'rate'],
  ['per unknown unit', () => new weir.Limiter({ rate: 1, per: 'fortnight' }), RangeError, 'per'],
  ['per negative', () => new weir.Limiter({ rate: 1, per: -5 }), RangeError, 'per'],
  ['per Infinity', () => new weir.Limiter({ rate: 1, per: Infinity }), RangeError, 'per'],
  ['per a symbol', () => new weir.Limiter({ rate: 1, per: Symbol('x') }), TypeError, 'per'],
  ['burst zero', () => new weir.Limiter({ rate: 1, burst: 0 }), RangeError, 'burst'],
  ['burst overflowing the horizon', () => new weir.Limiter({ rate: 1, burst: 2n ** 62n }), RangeError, 'burst'],
  ['cost negative', () => new weir.Limiter({ rate: 1 }).tryAcquire(-1), RangeError, 'cost'],
  ['cost a string', () => new weir.Limiter({ rate: 1 }).tryAcquire('1'), TypeError, 'cost'],
  ['cost NaN', () => new weir.Limiter({ rate: 1 }).tryAcquire(NaN), RangeError, 'cost'],
  ['cost Infinity', () => new weir.Limiter({ rate: 1 }).tryAcquire(Infinity), RangeError, 'cost'],
  ['keyed cost above 2^53', () => new weir.KeyedLimiter({ rate: 1 }).tryAcquire('k', 2 ** 60), RangeError, 'cost'],
  ['now not a bigint', () => new weir.Limiter({ rate: 1 }).tryAcquireAt(5), TypeError, 'now'],
  ['now negative', () => new weir.Limiter({ rate: 1 }).tryAcquireAt(-5n), RangeError, 'now'],
  ['keyed capacity zero', () => new weir.KeyedLimiter({ rate: 1, capacity: 0 }), RangeError, 'capacity'],
  ['keyed capacity too large', () => new weir.KeyedLimiter({ rate: 1, capacity: 2 ** 40 }), RangeError, 'capacity'],
  ['key an object', () => new weir.KeyedLimiter({ rate: 1 }).tryAcquire({}), TypeError, 'key'],
  ['key negative', () => new weir.KeyedLimiter({ rate: 1 }).tryAcquire(-3), RangeError, 'key'],
  ['key fractional', () => new weir.KeyedLimiter({ rate: 1 }).tryAcquire(1.5), RangeError, 'key'],
  ['key bigint above u64', () => new weir.KeyedLimiter({ rate: 1 }).tryAcquire(2n ** 64n), RangeError, 'key'],
  ['concurrency max zero', () => new weir.ConcurrencyLimiter({ max: 0 }), RangeError, 'max'],
  ['shedder buckets 129', () => new weir.Shedder({ buckets: 129 }), RangeError, 'buckets'],
  ['shedder window not whole buckets', () => new weir.Shedder({ windowMs: 1001, buckets: 3 }), RangeError, 'windowMs'],
  ['shedder cpuDecay 1', () => new weir.Shedder({ cpuDecay: 1 }), RangeError, 'cpuDecay'],
  ['shedder cpuThreshold 0', () => new weir.Shedder({ cpuThreshold: 0 }), RangeError, 'cpuThreshold'],
  ['shedder cpuSampler a number', () => new weir.Shedder({ cpuSampler: 5 }), TypeError, 'cpuSampler'],
  ['shedder permille above 1000', () => new weir.Shedder().recordCpu(1001), RangeError, 'permille'],
  ['throttle k below 1', () => new weir.Throttle({ k: 0.5 }), RangeError, 'k'],
  ['throttle probability above 1', () => new weir.Throttle({ maxRejectProbability: 1.5 }), RangeError, 'maxRejectProbability'],
  ['throttle record not a boolean', () => new weir.Throttle().record(1), TypeError, 'accepted'],
  ['picker success floor above 1', () => new weir.Picker({ successFloor: 2 }), RangeError, 'successFloor'],
  ['picker report without a pick', () => new weir.Picker().report(undefined), TypeError, 'pick'],
  ['backoff jitter unknown', () => new weir.Backoff({ jitter: 'lots' }), RangeError, 'jitter'],
  ['backoff cap below base', () => new weir.Backoff({ baseMs: 10, capMs: 5 }), RangeError, 'capMs'],
  ['backoff maxAttempts zero', () => new weir.Backoff({ maxAttempts: 0 }), RangeError, 'maxAttempts'],
  ['budget ratio negative', () => new weir.RetryBudget({ ratio: -0.1 }), RangeError, 'ratio'],
  ['budget buckets 65', () => new weir.RetryBudget({ buckets: 65 }), RangeError, 'buckets'],
  ['deadline margin above timeout', () => new weir.Deadline({ timeoutMs: 5, marginMs: 6 }), RangeError, 'marginMs'],
  ['header value not a string', () => weir.parseGrpcTimeout(100), TypeError, 'value'],
  ['singleflight capacity zero', () => new weir.SingleFlight({ capacity: 0 }), RangeError, 'capacity'],
  ['attach a forged share', () => weir.Limiter.attach({ kind: 0, index: 123456, gen: 9 }), RangeError, 'shared'],
];

for (const [name, run, type, field] of cases) {
  test(`bad input: ${name}`, () => {
    assert.throws(run, (e) => {
      assert.ok(e instanceof type, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.field, field, e.message);
      assert.ok(e.message.startsWith(field), e.message);
      return true;
    });
  });
}

test('async APIs reject rather than throw on bad input', async () => {
  await assert.rejects(weir.retry('not a function'), TypeError);
  await assert.rejects(weir.retry(async () => 1, { budget: {} }), TypeError);
  await assert.rejects(new weir.Limiter({ rate: 1 }).acquire(1, { signal: 'nope' }), TypeError);
  await assert.rejects(new weir.SingleFlight().do({}, async () => 1), TypeError);
  await assert.rejects(new weir.SingleFlight().do('k', 'not a function'), TypeError);
  await assert.rejects(new weir.Shedder().run(null), TypeError);
});

test('the raw native functions survive garbage in every scratch word', () => {
  const native = require(path.join(path.dirname(require.resolve('weir')), 'weir.node'));
  const buffer = native.scratch();
  const words = new BigUint64Array(buffer);
  // Constructors, the sampler and the lifecycle calls are left out: garbage
  // there means huge tables, threads, or dropping objects other tests hold.
  const skip = /New$|^shedderSample$|^attach$|^release$|^scratch$|^lastError$/;
  const fns = Object.keys(native).filter((k) => typeof native[k] === 'function' && !skip.test(k));
  assert.ok(fns.length >= 30, fns.join());
  const l = new weir.Limiter({ rate: 1 });
  const specials = [0n, 1n, 2n ** 64n - 1n, 2n ** 63n, 0x7ff8000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n];
  let seed = 12345n;
  const next = () => {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
    return seed % 3n === 0n ? specials[Number(seed % BigInt(specials.length))] : seed;
  };
  for (let round = 0; round < 300; round++) {
    for (const f of fns) {
      for (let i = 0; i < words.length; i++) words[i] = next();
      if (round % 2 === 0) new Float64Array(buffer)[0] = Number(seed % 4n); // sometimes a live handle
      try {
        native[f](round % 3 === 0 ? 'a string arg' : round % 3 === 1 ? undefined : {});
      } catch (e) {
        // Typed native functions refuse an argument of the wrong type with a
        // JS error; surviving means that, never a crash or a non-Error.
        assert.ok(e instanceof Error, `${f} threw ${e}`);
      }
    }
  }
  new Float64Array(buffer)[31] = 0;
  assert.equal(typeof l.tryAcquire().ok, 'boolean', 'still working');
});
