'use strict';
// Events: each primitive driven into its state and out again; the events are
// emitted after the call (never inside it), once per edge and in order, and a
// listener that throws is reported as a warning while decisions go on.
const test = require('node:test');
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const weir = require('weir');

const SECOND = 1_000_000_000n;
const turn = () => new Promise((r) => setImmediate(r));
const U64_MAX = 0xffffffffffffffffn;

function listen(emitter, kinds) {
  const seen = [];
  for (const kind of kinds) {
    emitter.on(kind, () => {
      throw new Error(`a listener's bug on ${kind}`);
    });
    emitter.on(kind, (e) => seen.push(e));
  }
  return seen;
}

function edges(seen) {
  return seen.filter((e) => e.kind !== 'refused').map((e) => e.kind);
}

function refusals(seen) {
  return seen.filter((e) => e.kind === 'refused').reduce((n, e) => n + e.count, 0);
}

async function warningsDuring(fn) {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    await fn();
    await turn();
  } finally {
    process.off('warning', onWarning);
  }
  return warnings.filter((w) => w.name === 'WeirEventListenerError');
}

test('a shedder emits droppingStarted once and droppingStopped after a cool-off without a shed', async () => {
  const s = new weir.Shedder({ maxQueue: 1, coolOffMs: 1000 });
  assert.ok(s instanceof EventEmitter);
  const seen = listen(s, ['refused', 'droppingStarted', 'droppingStopped']);
  const t0 = 1_000n * SECOND;
  const warnings = await warningsDuring(async () => {
    assert.equal(s.acquireAt(t0).reason, 'admitted');
    for (let i = 1n; i <= 3n; i++) assert.equal(s.acquireAt(t0 + i).reason, 'queue_full');
    assert.equal(seen.length, 0, 'listeners never run inside the deciding call');
    await turn();
    assert.deepEqual(edges(seen), ['droppingStarted']);
    s.doneAt(t0, t0 + 10n);
    assert.equal(s.acquireAt(t0 + SECOND / 2n).reason, 'admitted', 'inside the cool-off it stays dropping');
    s.doneAt(t0 + SECOND / 2n, t0 + SECOND / 2n + 10n);
    await turn();
    assert.deepEqual(edges(seen), ['droppingStarted']);
    assert.equal(s.acquireAt(t0 + 2n * SECOND).reason, 'admitted');
    await turn();
  });
  assert.deepEqual(edges(seen), ['droppingStarted', 'droppingStopped']);
  assert.equal(refusals(seen), 3);
  const [started, stopped] = seen.filter((e) => e.kind !== 'refused');
  assert.deepEqual([started.reason, started.atNs, started.count], ['queue_full', t0 + 1n, 1]);
  assert.deepEqual([stopped.sinceNs, stopped.atNs, stopped.count], [t0 + 1n, t0 + 2n * SECOND, 3]);
  assert.equal(warnings.length, seen.length, 'every throw was reported, none stopped the next listener');
});

test('a throttle emits refusingStarted and refusingStopped', async () => {
  const t = new weir.Throttle({ k: 1, minRequests: 1, maxRejectProbability: 1 });
  const seen = listen(t, ['refusingStarted', 'refusingStopped', 'refused']);
  const t0 = 1_000n * SECOND;
  await warningsDuring(async () => {
    assert.equal(t.acquireAt(t0, 0n).reason, 'admitted');
    for (let i = 1n; i <= 4n; i++) assert.equal(t.acquireAt(t0 + i, 0n).reason, 'throttled');
    assert.equal(t.acquireAt(t0 + SECOND, U64_MAX).reason, 'admitted');
  });
  assert.deepEqual(edges(seen), ['refusingStarted', 'refusingStopped']);
  assert.equal(refusals(seen), 4);
});

test('a retry budget emits budgetExhausted and budgetRecovered', async () => {
  const b = new weir.RetryBudget({ ratio: 1, minPerSecond: 0, windowMs: 10_000, buckets: 10 });
  const seen = listen(b, ['budgetExhausted', 'budgetRecovered', 'refused']);
  const t0 = 1_000n * SECOND;
  await warningsDuring(async () => {
    b.depositAt(t0);
    assert.equal(b.withdrawAt(t0).reason, 'admitted');
    assert.equal(b.withdrawAt(t0 + 1n).reason, 'budget_exhausted');
    assert.equal(b.withdrawAt(t0 + 2n).reason, 'budget_exhausted');
    b.depositAt(t0 + 2n * SECOND);
    assert.equal(b.withdrawAt(t0 + 2n * SECOND).reason, 'admitted');
  });
  assert.deepEqual(edges(seen), ['budgetExhausted', 'budgetRecovered']);
  assert.equal(refusals(seen), 2);
});

test('the retry loop spends through the budget and its events', async () => {
  const budget = new weir.RetryBudget({ ratio: 0, minPerSecond: 0 });
  const seen = listen(budget, ['budgetExhausted']);
  await warningsDuring(async () => {
    await assert.rejects(
      weir.retry(
        () => {
          throw new Error('down');
        },
        { budget, backoff: { attempts: 3 } },
      ),
      (e) => e.reason === 'budget_exhausted',
    );
  });
  assert.deepEqual(edges(seen), ['budgetExhausted']);
});

test('a keyed table emits tableFull and tableRecovered', async () => {
  const k = new weir.KeyedLimiter({ rate: 1, burst: 1, capacity: 8 });
  const seen = listen(k, ['tableFull', 'tableRecovered', 'refused']);
  const t0 = 1_000n * SECOND;
  await warningsDuring(async () => {
    for (let key = 0n; key < 8n; key++) assert.equal(k.tryAcquireAt(key, t0).reason, 'admitted');
    assert.equal(k.tryAcquireAt(8n, t0).reason, 'table_full');
    assert.equal(k.tryAcquireAt(9n, t0).reason, 'table_full');
    await turn();
    assert.deepEqual(edges(seen), ['tableFull']);
    k.tryAcquireAt(0n, t0 + SECOND);
  });
  assert.deepEqual(edges(seen), ['tableFull', 'tableRecovered']);
  assert.equal(refusals(seen), 2);
});

test('the clock-reading calls emit too', async () => {
  const s = new weir.Shedder({ maxQueue: 1 });
  const seen = [];
  s.once('droppingStarted', (e) => seen.push(e));
  const first = s.tryAcquire();
  assert.equal(first.ok, true);
  assert.equal(s.tryAcquire().reason, 'queue_full');
  await assert.rejects(
    s.run(async () => 1),
    (e) => e instanceof weir.OverloadedError,
  );
  await turn();
  assert.equal(seen.length, 1);
  assert.equal(s.listenerCount('droppingStarted'), 0, 'once() listeners are removed after one event');
  s.done(first);
});
