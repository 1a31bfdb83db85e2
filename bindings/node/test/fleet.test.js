'use strict';
// FleetLimiter against a private redis-server on a free loopback port (the
// suite installs redis-server), and with Redis unreachable.
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { FleetLimiter } = require('weir');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.end();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (up) return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill() };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('redis-server did not start');
}

const tick = (ms) => new Promise((r) => setTimeout(r, ms));

test('two limiters on one Redis key admit no more than the fleet-wide limit', async () => {
  const redis = await startRedis();
  try {
    const key = `weir-node-test-${process.pid}`;
    // Redis starts a key as an empty bucket, so everything admitted was
    // earned within this one-second window.
    const options = { redisUrl: redis.url, key, rate: 400, per: 'second', nodes: 2 };
    const a = new FleetLimiter(options);
    const b = new FleetLimiter(options);
    let admitted = 0;
    const until = Date.now() + 950;
    while (Date.now() < until) {
      for (let i = 0; i < 5; i++) for (const l of [a, b]) if (l.tryAcquire().ok) admitted++;
      await tick(1);
    }
    const sa = a.stats();
    const sb = b.stats();
    a.close();
    b.close();
    assert.ok(admitted > 0, 'leases arrived');
    const cap = 400 * (1 + sa.bound);
    assert.ok(admitted <= cap, `admitted ${admitted} in one second; the bound is ${cap}`);
    assert.equal(sa.admitted + sb.admitted, admitted);
    assert.ok(sa.redisCalls + sb.redisCalls < admitted, 'Redis is called per batch, not per request');
    assert.equal(sa.inFallback || sb.inFallback, false);
    assert.throws(() => a.tryAcquire(), /closed/);
  } finally {
    redis.stop();
  }
});

test('with Redis unreachable a limiter admits only its fallback share', async () => {
  const port = await freePort();
  const l = new FleetLimiter({
    redisUrl: `redis://127.0.0.1:${port}`,
    key: 'down',
    rate: 100,
    per: 'hour',
    nodes: 4,
    fallbackBurst: 5,
    redisTimeoutMs: 20,
  });
  let admitted = 0;
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < 10; j++) if (l.tryAcquire().ok) admitted++;
    await tick(10);
  }
  const st = l.stats();
  l.close();
  assert.ok(admitted <= 5, `admitted ${admitted} with a fallback burst of 5`);
  assert.equal(st.inFallback, true);
});

test('FleetLimiter names bad options', () => {
  assert.throws(() => new FleetLimiter({ key: 'k', rate: 1 }), (e) => e instanceof TypeError && e.field === 'redisUrl');
  assert.throws(() => new FleetLimiter({ redisUrl: 'redis://127.0.0.1:1', rate: 1 }), (e) => e instanceof TypeError && e.field === 'key');
  assert.throws(() => new FleetLimiter({ redisUrl: 'http://nope', key: 'k', rate: 1 }), (e) => e instanceof RangeError && e.field === 'redisUrl');
  assert.throws(() => new FleetLimiter({ redisUrl: 'redis://127.0.0.1:1', key: 'k', rate: 0 }), (e) => e instanceof RangeError && e.field === 'rate');
  assert.throws(() => new FleetLimiter({ redisUrl: 'redis://127.0.0.1:1', key: 'k', rate: 10, nodes: 0 }), (e) => e instanceof RangeError && e.field === 'nodes');
});
