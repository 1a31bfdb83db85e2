'use strict';
// The bulkhead's queue on Node's real event loop and worker threads: FIFO
// hand-off, the exact queue bound, the maximum wait, AbortSignal
// cancellation, and no permit ever leaked.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { ConcurrencyLimiter, RateLimitedError } = require('weir');

const reasonOf = (p) =>
  p.then(
    () => 'admitted',
    (e) => (e instanceof RateLimitedError ? e.reason : e.name),
  );

test('twenty waiters get permits in arrival order; a newcomer never barges', async () => {
  const c = new ConcurrencyLimiter({ max: 1, maxQueue: 20 });
  const holder = await c.acquire();
  const order = [];
  const waiters = Array.from({ length: 20 }, (_, i) =>
    c.acquire().then((release) => {
      order.push(i);
      release();
    }),
  );
  assert.equal(c.queued, 20);
  assert.equal(c.tryAcquire().ok, false);
  holder();
  await Promise.all(waiters);
  assert.deepEqual(order, [...Array(20).keys()]);
  const s = c.stats();
  assert.deepEqual([s.inFlight, s.queued, s.admittedAfterWait], [0, 0, 20]);
});

test('the queue bound holds exactly: the arrivals past it are refused queue_full', async () => {
  const c = new ConcurrencyLimiter({ max: 2, maxQueue: 5 });
  const holders = [await c.acquire(), await c.acquire()];
  const outcomes = Array.from({ length: 30 }, () => reasonOf(c.acquire().then((release) => release())));
  assert.equal(c.queued, 5);
  holders.forEach((release) => release());
  const reasons = await Promise.all(outcomes);
  assert.equal(reasons.filter((r) => r === 'queue_full').length, 25);
  assert.equal(reasons.filter((r) => r === 'admitted').length, 5);
  assert.equal(c.stats().refused.queue_full, 25);
  assert.equal(c.inFlight, 0);
});

test('four worker threads arriving at once fill the queue exactly', async () => {
  const c = new ConcurrencyLimiter({ max: 1, maxQueue: 40, maxWait: 'minute' });
  const holder = await c.acquire();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { ConcurrencyLimiter } = require('weir');
    const c = ConcurrencyLimiter.attach(workerData);
    const tries = Array.from({ length: 25 }, () => c.acquire().then((release) => (release(), 'admitted'), (e) => e.reason));
    parentPort.postMessage('queued');
    Promise.all(tries).then((r) => parentPort.postMessage(r));
  `;
  const done = [0, 1, 2, 3].map(
    () =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: c.share() });
        w.on('message', (m) => m !== 'queued' && resolve(m));
        w.once('error', reject);
      }),
  );
  const deadline = Date.now() + 5000;
  while (c.stats().refused.queue_full + c.queued < 100) {
    assert.ok(Date.now() < deadline, 'every arrival queued or refused');
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.equal(c.queued, 40);
  holder();
  const reasons = (await Promise.all(done)).flat();
  assert.equal(reasons.filter((r) => r === 'admitted').length, 40);
  assert.equal(reasons.filter((r) => r === 'queue_full').length, 60);
  assert.equal(c.inFlight, 0);
});

test('a waiter past its maximum wait is refused wait_timeout', async () => {
  const c = new ConcurrencyLimiter({ max: 1, maxWait: 20 });
  const holder = await c.acquire();
  const began = Date.now();
  assert.equal(await reasonOf(c.acquire()), 'wait_timeout');
  assert.ok(Date.now() - began >= 19, `${Date.now() - began} ms`);
  assert.equal(await reasonOf(c.acquire({ maxWait: 1 })), 'wait_timeout', 'its own shorter wait');
  holder();
  const s = c.stats();
  assert.deepEqual([s.inFlight, s.queued, s.refused.wait_timeout], [0, 0, 2]);
});

test('with no queue a full limiter refuses at once as concurrency_limited', async () => {
  const c = new ConcurrencyLimiter({ max: 1, maxQueue: 0 });
  const holder = await c.acquire();
  assert.equal(await reasonOf(c.acquire()), 'concurrency_limited');
  holder();
  assert.equal(c.inFlight, 0);
});

test('aborting removes the waiter; the permit handed over as it aborts is passed on', async () => {
  const c = new ConcurrencyLimiter({ max: 1 });
  const holder = await c.acquire();
  const ac = new AbortController();
  const waiting = reasonOf(c.acquire({ signal: ac.signal }));
  const next = c.acquire();
  ac.abort();
  assert.equal(await waiting, 'AbortError');
  assert.equal(c.queued, 1, 'only the aborted waiter left');
  holder();
  (await next)();
  assert.equal(c.inFlight, 0);
  assert.equal(c.stats().refused.cancelled, 1);

  // The release hands the permit to the waiter, then the waiter aborts
  // before its promise settles.
  const holder2 = await c.acquire();
  const ac2 = new AbortController();
  const raced = c.acquire({ signal: ac2.signal }).then(
    (release) => (release(), 'admitted'),
    (e) => e.name,
  );
  c.release(); // holder2's permit, handed to the raced waiter
  ac2.abort();
  assert.equal(await raced, 'admitted', 'granted before the abort: the abort comes too late');
  holder2(); // released above already: does nothing
  assert.equal(c.inFlight, 0, 'no permit leaked');
});

test('a permit handed to a waiter on another thread reaches it', async () => {
  const c = new ConcurrencyLimiter({ max: 1 });
  const holder = await c.acquire();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { ConcurrencyLimiter } = require('weir');
    const c = ConcurrencyLimiter.attach(workerData);
    c.acquire().then((release) => { release(); parentPort.postMessage('granted'); });
    parentPort.postMessage('queued');
  `;
  const granted = new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: c.share() });
    w.on('message', (m) => m === 'granted' && resolve(m));
    w.once('error', reject);
  });
  while (c.queued === 0) await new Promise((r) => setTimeout(r, 1));
  holder();
  assert.equal(await granted, 'granted');
  assert.equal(c.inFlight, 0);
});

test("a permit handed to a worker's waiter as it aborts is passed on", async () => {
  const c = new ConcurrencyLimiter({ max: 1 });
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { ConcurrencyLimiter } = require('weir');
    const c = ConcurrencyLimiter.attach(workerData);
    const ac = new AbortController();
    parentPort.on('message', () => ac.abort());
    c.acquire({ signal: ac.signal }).then(
      (release) => { release(); parentPort.postMessage('admitted'); },
      (e) => parentPort.postMessage(e.name),
    );
  `;
  for (let round = 0; round < 20; round++) {
    const holder = await c.acquire();
    const w = new Worker(code, { eval: true, workerData: c.share() });
    const outcome = new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    while (c.queued === 0) await new Promise((r) => setTimeout(r, 1));
    holder(); // handed to the worker's waiter, which learns of it only by polling
    w.postMessage('abort');
    const got = await outcome;
    assert.ok(got === 'admitted' || got === 'AbortError', got);
    await w.terminate();
    assert.equal(c.inFlight, 0, `round ${round} (${got}): a permit leaked`);
  }
  const s = c.stats();
  assert.equal(s.admittedAfterWait, 20, 'every permit went to the worker, aborting or not');
});

test('bad settings name the field and the value given', () => {
  assert.throws(() => new ConcurrencyLimiter({ max: 1, maxQueue: 2 ** 21 }), /maxQueue.*2097152/);
  assert.throws(() => new ConcurrencyLimiter({ max: 1, maxWait: 0 }), /maxWait.*got 0/);
  assert.throws(() => new ConcurrencyLimiter({ max: 1, maxWait: 'week' }), /maxWait/);
});
