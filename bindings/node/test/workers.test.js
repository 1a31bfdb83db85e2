'use strict';
// Worker threads holding one native object share its state: the admitted
// count is exact however the threads interleave.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { Limiter, KeyedLimiter, ConcurrencyLimiter, RetryBudget, Shedder, Lease } = require('weir');

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const weir = require('weir');
const object = weir[workerData.cls].attach(workerData.shared);
let admitted = 0;
for (let i = 0; i < workerData.calls; i++) {
  const method = workerData.method || 'tryAcquire';
  if ((workerData.key ? object[method](workerData.key) : object[method]()).ok) admitted++;
}
parentPort.postMessage(admitted);
`;

function run(cls, shared, calls, key, method) {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { cls, shared, calls, key, method } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('four workers sharing a Limiter admit exactly its burst', async () => {
  const l = new Limiter({ rate: 1, per: 'day', burst: 10000 });
  const counts = await Promise.all([0, 1, 2, 3].map(() => run('Limiter', l.share(), 5000)));
  assert.equal(counts.reduce((a, b) => a + b, 0), 10000);
  assert.equal(l.tryAcquire().ok, false);
});

test('workers sharing a KeyedLimiter admit exactly the burst of the key', async () => {
  const k = new KeyedLimiter({ rate: 1, per: 'day', burst: 3000, capacity: 64 });
  const counts = await Promise.all([0, 1, 2].map(() => run('KeyedLimiter', k.share(), 2000, 'tenant')));
  assert.equal(counts.reduce((a, b) => a + b, 0), 3000);
});

test('workers sharing a ConcurrencyLimiter take exactly max permits', async () => {
  const c = new ConcurrencyLimiter({ max: 777 });
  const counts = await Promise.all([0, 1, 2].map(() => run('ConcurrencyLimiter', c.share(), 1000)));
  assert.equal(counts.reduce((a, b) => a + b, 0), 777);
  assert.equal(c.inFlight, 777);
});

test('workers sharing a RetryBudget are allowed exactly its ratio of the requests', async () => {
  const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0, windowMs: 60000, buckets: 60 });
  budget.deposit(2000);
  const counts = await Promise.all([0, 1, 2, 3].map(() => run('RetryBudget', budget.share(), 500, undefined, 'withdraw')));
  assert.equal(counts.reduce((a, b) => a + b, 0), 1000);
  assert.deepEqual(budget.stats(), { requests: 2000, retries: 1000 });
});

test("workers sharing a Shedder fill its queue cap exactly", async () => {
  const s = new Shedder({ maxQueue: 1234 });
  const counts = await Promise.all([0, 1, 2].map(() => run('Shedder', s.share(), 1000)));
  assert.equal(counts.reduce((a, b) => a + b, 0), 1234);
  assert.equal(s.stats().inFlight, 1234);
});

test('workers sharing a Lease spend exactly what was granted', async () => {
  const lease = new Lease({ maxBatch: 5000 });
  lease.grant(4321, 60000);
  const counts = await Promise.all([0, 1, 2].map(() => run('Lease', lease.share(), 2000, undefined, 'spend')));
  assert.equal(counts.reduce((a, b) => a + b, 0), 4321);
});

test('attach refuses what is not a share of the right kind', () => {
  const l = new Limiter({ rate: 1 });
  assert.throws(() => KeyedLimiter.attach(l.share()), TypeError);
  assert.throws(() => Limiter.attach({ kind: 0, index: 1e6, gen: 3 }), RangeError);
  assert.throws(() => Limiter.attach(null), TypeError);
  assert.equal(Limiter.attach(l.share()).tryAcquire().ok, true);
});

test('a worker that exits gives back only its own hold', async () => {
  const l = new Limiter({ rate: 1, per: 'day', burst: 5 });
  const shared = l.share();
  await run('Limiter', shared, 1);
  // The worker's hold is gone, the main thread's remains: the limiter lives.
  assert.equal(Limiter.attach(shared).tryAcquire().remaining, 3);
});
