'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Limiter, KeyedLimiter, ConcurrencyLimiter, RateLimitedError } = require('weir');

test('tryAcquire answers like rate-limiter-flexible: ok, msBeforeNext, remaining', () => {
  const l = new Limiter({ rate: 10, per: 'second', burst: 3 });
  assert.deepEqual(
    [1, 2, 3].map(() => l.tryAcquire()).map((d) => [d.ok, d.remaining]),
    [
      [true, 2],
      [true, 1],
      [true, 0],
    ],
  );
  const refused = l.tryAcquire();
  assert.equal(refused.ok, false);
  assert.equal(refused.reason, 'rate_limited');
  assert.ok(refused.msBeforeNext > 0 && refused.msBeforeNext <= 100, `${refused.msBeforeNext}`);
  assert.deepEqual(l.stats(), { admitted: 3, rejected: 1, decisions: { admitted: 3, rate_limited: 1 } });
});

test('decisions are counted natively: every call, every object on the same limiter', () => {
  const l = new Limiter({ rate: 1, per: 'hour', burst: 2 });
  const twin = Limiter.attach(l.share());
  assert.deepEqual(l.stats(), { admitted: 0, rejected: 0, decisions: { admitted: 0 } });
  l.tryAcquire();
  twin.tryAcquire();
  assert.equal(l.tryAcquireAt(0n, 3n).reason, 'cost_exceeds_burst');
  twin.tryAcquire();
  const want = { admitted: 2, rejected: 2, decisions: { admitted: 2, rate_limited: 1, cost_exceeds_burst: 1 } };
  assert.deepEqual(l.stats(), want);
  assert.deepEqual(twin.stats(), want);
  const k = new KeyedLimiter({ rate: 1, per: 'hour', burst: 1, capacity: 8 });
  k.tryAcquire('a');
  k.tryAcquireAt('a', 0n);
  assert.deepEqual(k.stats().decisions, { admitted: 1, rate_limited: 1 });
});

test('per takes milliseconds, unit names and bigint nanoseconds alike', () => {
  for (const per of [60000, 'minute', 60000000000n]) {
    const l = new Limiter({ rate: 1, per, burst: 1 });
    assert.equal(l.tryAcquireAt(0n).reason, 'admitted');
    assert.equal(l.tryAcquireAt(0n).retryAfter, 60000000000n);
  }
});

test('a cost above the burst is refused forever, and acquire rejects at once', async () => {
  const l = new Limiter({ rate: 5, burst: 2 });
  const d = l.tryAcquire(3);
  assert.equal(d.reason, 'cost_exceeds_burst');
  assert.equal(d.msBeforeNext, Infinity);
  await assert.rejects(l.acquire(3), RateLimitedError);
});

test('acquire waits without blocking the event loop', async () => {
  const l = new Limiter({ rate: 50, per: 'second', burst: 1 });
  l.tryAcquire();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const started = performance.now();
  const d = await l.acquire();
  clearInterval(timer);
  assert.equal(d.ok, true);
  assert.ok(performance.now() - started >= 10, 'waited for the next token');
  assert.ok(ticks >= 1, 'the event loop kept running');
});

test('acquire stops waiting when its signal aborts', async () => {
  const l = new Limiter({ rate: 1, per: 'hour', burst: 1 });
  l.tryAcquire();
  const ac = new AbortController();
  const p = l.acquire(1, { signal: ac.signal });
  setTimeout(() => ac.abort(new Error('gave up')), 5);
  await assert.rejects(p, /gave up/);
  await assert.rejects(l.acquire(1, { signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('KeyedLimiter keeps one bucket per key, string keys hashed like every runtime', () => {
  const k = new KeyedLimiter({ rate: 1, per: 'hour', burst: 2, capacity: 64 });
  assert.equal(k.tryAcquire('tenant-7').remaining, 1);
  assert.equal(k.tryAcquire('tenant-7').remaining, 0);
  assert.equal(k.tryAcquire('tenant-7').ok, false);
  assert.equal(k.tryAcquire('tenant-8').ok, true);
  // hash_str("tenant-7") is pinned in weir-host; the bigint form is the same key.
  assert.equal(k.tryAcquire(0xd410a48a2f93679an).ok, false);
  assert.equal(k.tryAcquire(42).ok, true);
  assert.equal(k.tryAcquire(42n).remaining, 0);
  assert.equal(k.stats().live, 3);
  assert.equal(k.stats().admitted, 5);
  assert.equal(k.stats().rejected, 2);
  assert.equal(k.stats().capacity, 64);
});

test('KeyedLimiter keys longer than the stack buffer hash the same as short ones would', () => {
  const k = new KeyedLimiter({ rate: 1, per: 'hour', burst: 1, capacity: 8 });
  const long = 'x'.repeat(10000);
  assert.equal(k.tryAcquire(long).ok, true);
  assert.equal(k.tryAcquire(long).ok, false);
  assert.equal(k.tryAcquire(`${long}y`).ok, true);
  assert.equal(k.tryAcquire('é✓🙂').ok, true);
  assert.equal(k.tryAcquire('é✓🙂').ok, false);
});

test('KeyedLimiter refuses new keys when its table is full (fails closed)', () => {
  const k = new KeyedLimiter({ rate: 1, per: 'hour', burst: 1, capacity: 8 });
  let full = 0;
  for (let i = 0; i < 100; i++) if (k.tryAcquire(`k${i}`).reason === 'table_full') full++;
  assert.ok(full >= 92, `${full}`);
});

test('ConcurrencyLimiter.run queues callers and never exceeds max', async () => {
  const c = new ConcurrencyLimiter({ max: 3 });
  let running = 0;
  let peak = 0;
  const work = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 2));
    running--;
    return 1;
  };
  const results = await Promise.all(Array.from({ length: 20 }, () => c.run(work)));
  assert.equal(results.length, 20);
  assert.equal(peak, 3);
  assert.equal(c.inFlight, 0);
  assert.equal(c.max, 3);
  assert.equal(c.release(), false, 'a stray release is refused');
});

test('ConcurrencyLimiter.run leaves the queue on abort', async () => {
  const c = new ConcurrencyLimiter({ max: 1 });
  let release;
  const holder = c.run(() => new Promise((r) => (release = r)));
  const ac = new AbortController();
  const waiting = c.run(async () => 'never', { signal: ac.signal });
  ac.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  release();
  await holder;
  assert.equal(c.inFlight, 0);
});
