'use strict';
// Live limits: setRate / setBurst keep what was spent, callers racing a
// change on worker threads stay exact, and several rates decide all or nothing.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const weir = require('weir');

test('setRate keeps what was spent', () => {
  const l = new weir.Limiter({ rate: 10, burst: 10 });
  assert.equal(l.tryAcquire(10).ok, true);
  l.setRate(100);
  // The 10 tokens spent at 10/s stay spent at 100/s: no new burst, and the
  // next token is due within one new interval (10 ms).
  const refused = l.tryAcquire();
  assert.equal(refused.ok, false);
  assert.ok(refused.msBeforeNext <= 10, `${refused.msBeforeNext}`);
  l.setBurst(20);
  // 10 spent of 20: 10 free, not 20.
  assert.equal(l.tryAcquire(11).ok, false, 'a larger burst forgot what was spent');
  assert.equal(l.tryAcquire(10).ok, true);
  l.setRate(1, 'minute');
});

test('setRate refusals name the field and the value', () => {
  const l = new weir.Limiter({ rate: 10 });
  assert.throws(() => l.setRate(-1), (e) => e instanceof RangeError && e.field === 'rate' && /got -1/.test(e.message));
  assert.throws(() => l.setRate(1, 0), (e) => e instanceof RangeError && e.field === 'per');
  assert.throws(() => l.setBurst(2.5), (e) => e instanceof RangeError && e.field === 'burst' && /got 2.5/.test(e.message));
  assert.throws(() => l.setRate('fast'), (e) => e instanceof TypeError && e.field === 'rate');
});

test('keyed and shared limiters keep what was spent', () => {
  const k = new weir.KeyedLimiter({ rate: 10, burst: 10, capacity: 8 });
  assert.equal(k.tryAcquire('a', 10).ok, true);
  k.setRate(100);
  assert.equal(k.tryAcquire('a').ok, false, 'the change granted key a a token');
  assert.equal(k.tryAcquire('b', 10).ok, true, 'a new key starts full');
  assert.throws(() => k.setBurst(0), (e) => e instanceof RangeError && e.field === 'burst');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-live-'));
  const file = path.join(dir, 'bucket');
  try {
    const a = new weir.Limiter({ rate: 10, burst: 10, shared: file });
    const b = new weir.Limiter({ rate: 10, burst: 10, shared: file });
    assert.equal(a.tryAcquire(10).ok, true);
    b.setRate(100);
    const refused = a.tryAcquire();
    assert.equal(refused.ok, false);
    assert.ok(refused.msBeforeNext <= 10, `${refused.msBeforeNext}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('worker threads racing a change admit no more than old before plus new after', async () => {
  // One token an hour, so nothing refills: burst 100 -> 50 while 3 workers
  // spend. At most the old burst passes, at least the new one, and the
  // bucket ends empty.
  for (let round = 0; round < 5; round++) {
    const l = new weir.Limiter({ rate: 1, per: 'hour', burst: 100 });
    const shared = l.share();
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const weir = require(${JSON.stringify(require.resolve('weir'))});
      const l = weir.Limiter.attach(workerData);
      let n = 0;
      for (let i = 0; i < 60; i++) if (l.tryAcquire().ok) n++;
      parentPort.postMessage(n);`;
    const runs = [0, 1, 2].map(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: shared });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    );
    l.setBurst(50);
    const total = (await Promise.all(runs)).reduce((a, b) => a + b, 0);
    assert.ok(total >= 50 && total <= 100, `admitted ${total}`);
    assert.equal(l.tryAcquire().ok, false);
  }
});

test('several rates are all or nothing', () => {
  const m = new weir.MultiLimiter([{ rate: 10, burst: 5 }, { rate: 2, per: 'hour', burst: 2 }]);
  assert.equal(m.tryAcquire(2).ok, true);
  const refused = m.tryAcquire();
  assert.equal(refused.ok, false);
  assert.ok(refused.msBeforeNext > 29 * 60 * 1000, `${refused.msBeforeNext}`);
  // The refusal spent nothing from the per-second rate: with the hourly
  // burst raised, its 3 remaining tokens all pass.
  m.setBurst(1, 5);
  assert.equal(m.tryAcquire(3).ok, true);
  assert.throws(() => m.setRate(7, 1), (e) => e instanceof RangeError && e.field === 'index');
  assert.throws(() => new weir.MultiLimiter([]), (e) => e instanceof RangeError && e.field === 'rates');
  assert.throws(() => new weir.MultiLimiter([{ rate: 1, burst: 0 }]), (e) => e instanceof RangeError && e.field === 'burst');
  assert.throws(() => new weir.MultiLimiter('10/s'), (e) => e instanceof TypeError && e.field === 'rates');
});
