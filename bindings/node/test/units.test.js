'use strict';
// host/tests/vectors/limiter-units.json: a Limiter's units become the same
// kernel config as in every runtime (1/3 per second is 3 s exactly).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Limiter } = require('weir');

const vectors = process.env.WEIR_VECTORS || path.resolve(__dirname, '..', '..', '..', 'core', 'tests', 'vectors');
const file = path.resolve(vectors, '..', '..', '..', 'host', 'tests', 'vectors', 'limiter-units.json');
const { cases } = JSON.parse(fs.readFileSync(file, 'utf8'));
const number = (v) => ({ NaN: NaN, inf: Infinity, '-inf': -Infinity })[v] ?? v;

test('the units vectors are all here', () => assert.ok(cases.length >= 20));

for (const c of cases) {
  test(`limiter units: ${c.name}`, () => {
    const options = { rate: number(c.rate), per: BigInt(c.per_ns) };
    if ('burst' in c) options.burst = number(c.burst);
    if (c.error) {
      assert.throws(
        () => new Limiter(options),
        (e) => e instanceof RangeError && e.field === c.error.field && e.rule === c.error.rule,
      );
      return;
    }
    const l = new Limiter(options);
    // Spend the whole burst at t = 0: the next token is one interval away.
    const burst = BigInt(c.config.burst);
    assert.equal(l.tryAcquireAt(0n, burst).reason, 'admitted');
    const d = l.tryAcquireAt(0n, 1);
    assert.equal(d.reason, 'rate_limited');
    assert.equal(d.retryAfter, BigInt(c.interval_ns));
    // And no more than the burst fitted.
    assert.equal(new Limiter(options).tryAcquireAt(0n, burst + 1n).reason, 'cost_exceeds_burst');
  });
}

test('a refusal quotes the value its caller gave', () => {
  assert.throws(() => new Limiter({ rate: NaN }), { message: /^rate must be a finite number > 0, got NaN$/ });
  assert.throws(() => new Limiter({ rate: 1, burst: 2.5 }), { message: /^burst must be a whole number from 1 to 2\^53, got 2.5$/ });
  assert.throws(() => new Limiter({ rate: 1, per: 0 }), { message: /^per must be a duration of at least 1 ns, got 0$/ });
});
