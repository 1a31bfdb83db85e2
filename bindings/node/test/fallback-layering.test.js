'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { retry, RetryBudget, RetryError, Limiter, RateLimitedError, withFallback } = require('weir');

const fast = { baseMs: 1, capMs: 2, maxAttempts: 5 };

for (const [what, make] of [
  ['err.noRetry', () => Object.assign(new Error('503 from below'), { noRetry: true })],
  ['x-weir-no-retry in err.headers', () => Object.assign(new Error('503'), { headers: { 'X-Weir-No-Retry': '1' } })],
  ['x-weir-no-retry in err.response.headers (a Headers)', () => Object.assign(new Error('503'), { response: { headers: new Headers({ 'x-weir-no-retry': '1' }) } })],
  ['a negative grpc-retry-pushback-ms', () => Object.assign(new Error('unavailable'), { headers: { 'grpc-retry-pushback-ms': '-1' } })],
]) {
  test(`a final answer (${what}) is tried once, refused as not_retryable, and spends no budget`, async () => {
    const budget = new RetryBudget();
    let calls = 0;
    const last = make();
    const err = await retry(async () => { calls++; throw last; }, { backoff: fast, budget }).catch((e) => e);
    assert.ok(err instanceof RetryError);
    assert.equal(err.reason, 'not_retryable');
    assert.equal(calls, 1);
    assert.equal(err.cause, last);
    assert.equal(budget.stats().retries, 0);
  });
}

test('an answer without the marker is still retried', async () => {
  let calls = 0;
  const err = await retry(async () => { calls++; throw Object.assign(new Error('503'), { headers: { 'x-weir-no-retry': '0' } }); }, { backoff: fast }).catch((e) => e);
  assert.equal(err.reason, 'attempts_exhausted');
  assert.equal(calls, 5);
});

test('withFallback answers a real rate-limit refusal with its reason, and counts it', async () => {
  const limiter = new Limiter({ rate: 1, per: 'hour', burst: 1 });
  const fetch = async (id) => {
    const d = limiter.tryAcquire();
    if (!d.ok) throw new RateLimitedError(d.reason, d.retryAfterMs);
    return `fresh ${id}`;
  };
  const seen = [];
  const guarded = withFallback(fetch, (err, id) => { seen.push(err.reason); return `stale ${id}`; });
  assert.equal(await guarded(1), 'fresh 1');
  assert.equal(await guarded(2), 'stale 2');
  assert.deepEqual(seen, ['rate_limited']);
  assert.deepEqual(guarded.stats(), { rate_limited: 1 });
});

test('withFallback passes plain failures through unless `on` takes them', async () => {
  const broken = async () => { throw new TypeError('boom'); };
  await assert.rejects(withFallback(broken, 'static')(), TypeError);
  const any = withFallback(broken, 'static', { on: () => true });
  assert.equal(await any(), 'static');
  assert.deepEqual(any.stats(), { failed: 1 });
  assert.throws(() => withFallback(broken, 'x', { on: 'all' }), /on must be/);
});
