'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { retry, Retry, Backoff, RetryBudget, RetryError, OverloadedError } = require('weir');

const fast = { baseMs: 1, capMs: 2, maxAttempts: 4 };

test('retry returns the first success and passes the attempt number', async () => {
  const seen = [];
  const got = await retry(
    async ({ attempt }) => {
      seen.push(attempt);
      if (attempt < 3) throw new Error('flaky');
      return 'ok';
    },
    { backoff: fast },
  );
  assert.equal(got, 'ok');
  assert.deepEqual(seen, [1, 2, 3]);
});

test('retry gives up with attempts_exhausted and the last error as cause', async () => {
  const last = new Error('down');
  const err = await retry(async () => { throw last; }, { backoff: new Backoff(fast) }).catch((e) => e);
  assert.ok(err instanceof RetryError);
  assert.equal(err.reason, 'attempts_exhausted');
  assert.equal(err.attempts, 4);
  assert.equal(err.cause, last);
});

test('a shared budget refuses retries past its ratio: budget_exhausted', async () => {
  const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 0, windowMs: 10000, buckets: 10 });
  const policy = new Retry({ backoff: { baseMs: 1, capMs: 1, maxAttempts: 10 }, budget });
  let ok = 0;
  for (let i = 0; i < 50; i++) await policy.execute(async () => ok++);
  const err = await policy.execute(async () => { throw new Error('x'); }).catch((e) => e);
  assert.equal(err.reason, 'budget_exhausted');
  assert.equal(err.attempts, 6, '51 requests earn 5 retries');
  assert.deepEqual(budget.stats(), { requests: 51, retries: 5 });
});

test('retry honours the server advice (retryAfterMs on the error, or a Retry-After value)', async () => {
  const started = performance.now();
  let n = 0;
  await retry(
    async () => {
      if (n++ === 0) throw new OverloadedError('queue_full', 30);
      return n;
    },
    { backoff: { baseMs: 1, capMs: 1 } },
  );
  assert.ok(performance.now() - started >= 25, 'waited for the advised 30 ms');
  n = 0;
  const t2 = performance.now();
  await retry(
    async () => {
      if (n++ === 0) throw new Error('429');
      return n;
    },
    { backoff: { baseMs: 1, capMs: 1 }, retryAfter: () => '0' },
  );
  assert.ok(performance.now() - t2 < 500);
});

test('retry refuses a retry that cannot finish within timeoutMs: deadline_too_close', async () => {
  const err = await retry(async () => { throw new Error('slow'); }, {
    backoff: { baseMs: 50, capMs: 50, jitter: 'none', maxAttempts: 5 },
    timeoutMs: 20,
  }).catch((e) => e);
  assert.equal(err.reason, 'deadline_too_close');
  assert.equal(err.attempts, 1);
});

test('retryOn stops on errors that are not worth a retry; signal aborts the wait', async () => {
  const fatal = new Error('400');
  await assert.rejects(retry(async () => { throw fatal; }, { retryOn: () => false }), (e) => e === fatal);
  const ac = new AbortController();
  const p = retry(async () => { throw new Error('x'); }, { backoff: { baseMs: 10000, capMs: 10000, jitter: 'none' }, signal: ac.signal });
  setTimeout(() => ac.abort(new Error('stop')), 5);
  await assert.rejects(p, /stop/);
});

test('Backoff delays grow exponentially within the cap', () => {
  const b = new Backoff({ baseMs: 10, capMs: 80, jitter: 'none' });
  assert.deepEqual([1, 2, 3, 4, 5].map((r) => b.delay(r)), [10, 20, 40, 80, 80]);
  const full = new Backoff({ baseMs: 10, capMs: 80, jitter: 'full' });
  for (let i = 0; i < 100; i++) assert.ok(full.delay(3) < 40);
});

test('batched deposits reach the shared budget within one event-loop turn', async () => {
  const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0 });
  const elsewhere = RetryBudget.attach(budget.share()); // another holder, as a worker would be
  for (let i = 0; i < 10; i++) await retry(async () => 1, { budget });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(elsewhere.stats(), { requests: 10, retries: 0 });
  for (let i = 0; i < 300; i++) await retry(async () => 1, { budget });
  assert.ok(elsewhere.stats().requests >= 256, 'a long burst flushes without waiting for the turn to end');
});
