'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { setTimeout: sleep } = require('node:timers/promises');
const weir = require('weir');

class Backend extends Error {}

test('a breaker opens on its failure rate, refuses with the time left and emits the move on a later tick', async () => {
  const b = new weir.CircuitBreaker({ windowCalls: 4, minimumCalls: 4, openMs: 60_000 });
  const changes = [];
  b.on('stateChange', (c) => changes.push(c));
  for (const fail of [false, true, false, true]) {
    const run = b.run(async () => {
      if (fail) throw new Backend('down');
      return 'ok';
    });
    if (fail) await assert.rejects(run, Backend);
    else assert.equal(await run, 'ok');
  }
  assert.equal(changes.length, 0, 'listeners never run inside the call that moved the breaker');
  await new Promise((r) => process.nextTick(r));
  assert.equal(changes.length, 1);
  const c = changes[0];
  assert.deepEqual([c.from, c.to, c.cause, c.calls, c.failures], ['closed', 'open', 'failure_rate', 4n, 2n]);
  let called = false;
  await assert.rejects(
    b.run(() => {
      called = true;
    }),
    (e) => e instanceof weir.CircuitOpenError && e.reason === 'circuit_open' && e.retryAfterMs > 59_000 && e.retryAfterMs <= 60_000,
  );
  assert.equal(called, false);
  const s = b.stats();
  assert.equal(s.state, 'open');
  assert.deepEqual(s.decisions, { admitted: 4, circuit_open: 1, circuit_half_open: 0 });
  b.forceOpen();
  assert.equal(b.tryAcquire().retryAfterMs, Infinity);
  b.reset();
  assert.equal(b.state, 'closed');
  await new Promise((r) => process.nextTick(r));
  assert.deepEqual(changes.map((x) => x.cause), ['failure_rate', 'forced_open', 'reset']);
});

test('a weir refusal inside gives the permit back; isFailure decides what fails; slow calls are measured', async () => {
  const b = new weir.CircuitBreaker({ consecutiveFailures: 1, failureRateThreshold: 0, isFailure: (e) => e instanceof Backend });
  await assert.rejects(b.run(() => Promise.reject(new weir.RateLimitedError('rate_limited', 5))), weir.RateLimitedError);
  await assert.rejects(b.run(() => Promise.reject(new TypeError('not a failure'))), TypeError);
  assert.equal(b.state, 'closed');
  assert.deepEqual([b.stats().calls, b.stats().failures], [1, 0], 'the refusal was given back; the TypeError was a success');
  await assert.rejects(b.run(() => Promise.reject(new Backend())), Backend);
  assert.equal(b.state, 'open');

  const slow = new weir.CircuitBreaker({ windowCalls: 1, minimumCalls: 1, failureRateThreshold: 0, slowCallRateThreshold: 100, slowCallMs: 1 });
  await slow.run(() => sleep(5));
  assert.equal(slow.state, 'open');
});

test('bad breaker options name the option, the rule and the value', () => {
  const cases = [
    [{ windowCalls: 0 }, 'windowCalls', 'got 0'],
    [{ halfOpenProbes: 31 }, 'halfOpenProbes', 'got 31'],
    [{ failureRateThreshold: 101 }, 'failureRateThreshold', 'got 101'],
    [{ windowCalls: 10, minimumCalls: 11 }, 'minimumCalls', 'got 11'],
    [{ window: 'sliding' }, 'window', 'got sliding'],
    [{ openMs: -1 }, 'openMs', 'got -1'],
  ];
  for (const [options, field, got] of cases) {
    assert.throws(
      () => new weir.CircuitBreaker(options),
      (e) => e instanceof RangeError && e.field === field && e.message.includes(got) && e.message.includes('must be'),
      JSON.stringify(options),
    );
  }
});

test('an adaptive limiter refuses at its limit, measures the RTT and refuses foreign options by name', async () => {
  const l = new weir.AdaptiveLimiter({ initialLimit: 2, minLimit: 1, maxLimit: 50 });
  const a = l.tryAcquire();
  const b = l.tryAcquire();
  const c = l.tryAcquire();
  assert.ok(a.ok && b.ok && !c.ok && c.reason === 'concurrency_limited');
  await sleep(2);
  assert.ok(l.release(a.permit) >= 1);
  l.release(b.permit, 'ignored');
  assert.equal(await l.run(async () => 7), 7);
  const s = l.stats();
  assert.equal(s.inFlight, 0);
  assert.deepEqual(s.decisions, { admitted: 3, concurrency_limited: 1 });
  assert.ok(s.baselineRttMs > 0);
  assert.throws(() => l.release(a.permit, 'lost'), (e) => e instanceof RangeError && e.field === 'outcome');
  assert.throws(() => new weir.AdaptiveLimiter({ alpha: 4 }), (e) => e.field === 'alpha' && /vegas/.test(e.message) && /got 4/.test(e.message));
  assert.throws(() => new weir.AdaptiveLimiter({ algorithm: 'bbr' }), (e) => e.field === 'algorithm');
  assert.throws(() => new weir.AdaptiveLimiter({ minLimit: 10, maxLimit: 5 }), (e) => e.field === 'maxLimit' && /got 5/.test(e.message));
  const vegas = new weir.AdaptiveLimiter({ algorithm: 'vegas' });
  assert.equal(vegas.limit, 20);
});
