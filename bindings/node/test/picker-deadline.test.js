'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const weir = require('weir');

test('Picker prefers the faster node and reports through run()', async () => {
  const p = new weir.Picker({ capacity: 8 });
  assert.equal(p.add('fast'), true);
  assert.equal(p.add('slow'), true);
  for (let i = 0; i < 50; i++) {
    const pick = p.pick();
    p.report(pick, { latencyMs: pick.node === 'fast' ? 1 : 200 });
  }
  const counts = { fast: 0, slow: 0 };
  for (let i = 0; i < 200; i++) {
    const pick = p.pick();
    counts[pick.node]++;
    p.report(pick, { latencyMs: pick.node === 'fast' ? 1 : 200 });
  }
  assert.ok(counts.fast > counts.slow * 3, JSON.stringify(counts));
  assert.equal(await p.run(async (node) => `via ${node}`).then((s) => s.startsWith('via')), true);
  const stats = p.nodes();
  assert.equal(stats.length, 2);
  assert.ok(stats.every((s) => s.state === 'up' && s.inFlight === 0));
});

test('Picker skips nodes marked down and says when none is up', async () => {
  const p = new weir.Picker({ capacity: 2 });
  p.add('a');
  p.add('b');
  p.setUp('a', false);
  for (let i = 0; i < 20; i++) assert.equal(p.pick().node, 'b');
  p.remove('b');
  assert.equal(p.pick(), null);
  await assert.rejects(p.run(async () => 1), weir.NoNodeError);
  assert.equal(p.add('c'), true);
  assert.equal(p.add('d'), false, 'the table is full');
});

test('Deadline gives the callee the smaller budget, less the margin', () => {
  const d = new weir.Deadline({ timeoutMs: 1000, marginMs: 10 });
  assert.equal(d.timeoutMs(), 990);
  const soon = weir.nowMs() + 100;
  const t = d.timeoutMs(soon);
  assert.ok(t <= 90 && t > 80, `${t}`);
  assert.throws(() => d.timeoutMs(weir.nowMs() - 1), weir.DeadlineExceededError);
  assert.equal(new weir.Deadline().timeoutMs(), Infinity);
  assert.throws(() => new weir.Deadline({ timeoutMs: 10, marginMs: 10 }), (e) => e instanceof RangeError && e.field === 'marginMs');
});

test('header codecs: grpc-timeout, milliseconds, Retry-After', () => {
  assert.equal(weir.parseGrpcTimeout('100m'), 100);
  assert.equal(weir.parseGrpcTimeout('2S'), 2000);
  assert.equal(weir.formatGrpcTimeout(2000), '2000000u');
  assert.equal(weir.parseMillis('250'), 250);
  assert.equal(weir.formatMillis(0.5), '1');
  assert.equal(weir.parseRetryAfter('7'), 7000);
  assert.equal(weir.parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', 784111770000), 7000);
  assert.throws(() => weir.parseGrpcTimeout('10s'), (e) => e instanceof RangeError && e.reason === 'invalid_unit');
  assert.throws(() => weir.parseMillis('-5'), (e) => e.reason === 'invalid_digit');
});

test('nowNs and nowMs read one monotonic clock', () => {
  const a = weir.nowNs();
  const b = weir.nowMs();
  assert.equal(typeof a, 'bigint');
  assert.ok(b * 1e6 >= Number(a) - 1e6);
});
