'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Lease } = require('weir');

test('a lease spends what was granted, and the planner asks ahead of the demand', () => {
  const lease = new Lease({ maxBatch: 100, batchPeriodMs: 100, leadMs: 10, ttlMs: 1000 });
  assert.equal(lease.spend().outcome, 'expired', 'nothing granted yet');
  assert.deepEqual(lease.plan(0, 0), { ask: 0, inMs: Infinity, lowWater: 0 }, 'no demand, nothing to ask');
  const first = lease.plan(10, 1000);
  assert.ok(first.ask >= 1 && first.inMs === 0, JSON.stringify(first));
  assert.equal(lease.grant(50, 1000), 50);
  assert.deepEqual(lease.spend(20), { ok: true, outcome: 'spent', left: 30 });
  assert.deepEqual(lease.spend(40), { ok: false, outcome: 'short', left: 30 });
  // At 1,000 tokens a second the 30 left last 30 ms: ask again 10 ms (the
  // lead) before they run out, or once 10 are left.
  const next = lease.plan(1000, 1000);
  assert.ok(next.inMs > 15 && next.inMs <= 20 && next.lowWater === 10, JSON.stringify(next));
  assert.equal(lease.stats().left, 30);
  assert.equal(lease.revoke(), 30);
  assert.equal(lease.spend().outcome, 'expired');
});

test('Lease names bad options', () => {
  assert.throws(() => new Lease({ maxBatch: 0 }), (e) => e instanceof RangeError && e.field === 'maxBatch');
  assert.throws(() => new Lease({ ttlMs: 'soon' }), (e) => e instanceof RangeError && e.field === 'ttlMs');
});
