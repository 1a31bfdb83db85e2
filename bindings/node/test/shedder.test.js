'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Shedder, Throttle, OverloadedError, ThrottledError } = require('weir');

test('Shedder.run passes work through and counts it done', async () => {
  const s = new Shedder();
  assert.equal(await s.run(async () => 42), 42);
  assert.equal(await s.run(() => 'sync'), 'sync');
  await assert.rejects(s.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(s.stats().inFlight, 0);
});

test('Shedder.run rejects with OverloadedError carrying retryAfterMs when the queue is full', async () => {
  const s = new Shedder({ maxQueue: 2 });
  const gates = [];
  const slow = () => new Promise((r) => gates.push(r));
  const a = s.run(slow);
  const b = s.run(slow);
  const err = await s.run(slow).catch((e) => e);
  assert.ok(err instanceof OverloadedError);
  assert.equal(err.reason, 'queue_full');
  assert.ok(err.retryAfterMs > 0);
  gates.forEach((g) => g());
  await Promise.all([a, b]);
  assert.equal(s.stats().inFlight, 0);
  assert.deepEqual(s.stats().decisions, { admitted: 2, queue_full: 1 });
});

test('Shedder sheds under CPU pressure beyond the learned in-flight estimate', () => {
  const s = new Shedder({ windowMs: 1000, buckets: 10, cpuThreshold: 800, cpuDecay: 0 });
  assert.equal(s.recordCpu(950), 950);
  const tickets = [];
  let refused;
  for (let i = 0; i < 10 && !refused; i++) {
    const t = s.tryAcquire();
    if (t.ok) tickets.push(t);
    else refused = t;
  }
  assert.ok(refused, 'something was shed');
  assert.equal(refused.reason, 'cpu_overloaded');
  tickets.forEach((t) => s.done(t));
  assert.equal(s.stats().inFlight, 0);
});

test('the opt-in CPU sampler feeds the shedder from a native thread', async () => {
  const s = new Shedder({ cpuSampler: { intervalMs: 10 }, cpuDecay: 0 });
  // Stay busy while reading: with cpuDecay 0 the CPU is the latest sample,
  // and an idle pause before reading would let it fall back to 0.
  const until = Date.now() + 2000;
  let cpu = 0;
  while (Date.now() < until && cpu === 0) {
    const spin = Date.now() + 30;
    while (Date.now() < spin);
    cpu = s.stats().cpu;
  }
  s.close();
  assert.ok(cpu > 0 && cpu <= 1000, `cpu ${cpu}`);
});

test('Throttle refuses locally once the backend keeps failing', async () => {
  const t = new Throttle({ k: 1, minRequests: 5, maxRejectProbability: 0.9 });
  let throttled = 0;
  for (let i = 0; i < 200; i++) {
    await t.run(async () => { throw new Error('503'); }).catch((e) => {
      if (e instanceof ThrottledError) throttled++;
    });
  }
  assert.ok(throttled > 50, `${throttled}`);
  const st = t.stats();
  assert.equal(st.accepts, 0);
  assert.deepEqual(st.decisions, { admitted: 200 - throttled, throttled });
  assert.ok(st.rejectProbability > 0.5);
});

test('Throttle.run counts errors the backend answered as accepts', async () => {
  const t = new Throttle({ minRequests: 1 });
  const notFound = Object.assign(new Error('404'), { status: 404 });
  for (let i = 0; i < 20; i++) {
    await t.run(async () => { throw notFound; }, { accepted: (e) => e.status < 500 }).catch(() => {});
  }
  assert.equal(t.stats().accepts, 20);
  assert.equal(t.stats().rejectProbability, 0);
});

test('Shedder.cancel ends an admitted request without a response-time sample', () => {
  const s = new Shedder();
  const t = s.tryAcquire();
  assert.equal(s.stats().inFlight, 1);
  s.cancel(t);
  assert.equal(s.stats().inFlight, 0);
  assert.throws(() => s.cancel({ ok: false }), TypeError);
});

test('a shed refusal inside Throttle.run is forgotten, never the backend failing', async () => {
  const t = new Throttle({ k: 1, minRequests: 1 });
  const s = new Shedder({ maxQueue: 1 });
  const held = s.tryAcquire();
  let throttled = 0;
  for (let i = 0; i < 50; i++) {
    await t.run(() => s.run(async () => 'never runs')).catch((e) => {
      if (e instanceof ThrottledError) throttled++;
      else assert.ok(e instanceof OverloadedError, `${e}`);
    });
  }
  s.done(held);
  assert.equal(throttled, 0);
  assert.deepEqual(t.stats(), { requests: 0, accepts: 0, rejectProbability: 0, decisions: { admitted: 50 } });
  assert.deepEqual(s.stats().decisions, { admitted: 1, queue_full: 50 });
});
