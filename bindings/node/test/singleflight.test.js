'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { SingleFlight } = require('weir');

const tick = (ms) => new Promise((r) => setTimeout(r, ms));

test('100 concurrent callers on one key start the function once', async () => {
  const sf = new SingleFlight();
  let starts = 0;
  const results = await Promise.all(
    Array.from({ length: 100 }, () =>
      sf.do('user:42', async () => {
        starts++;
        await tick(5);
        return { id: 42 };
      }),
    ),
  );
  assert.equal(starts, 1);
  assert.equal(new Set(results).size, 1, 'every caller got the same object');
  assert.equal(sf.size, 0);
  await sf.do('user:42', async () => starts++);
  assert.equal(starts, 2, 'a settled flight is not cached');
});

test('errors reach every waiter', async () => {
  const sf = new SingleFlight();
  const boom = new Error('boom');
  const all = await Promise.allSettled([1, 2, 3].map(() => sf.do('k', async () => { await tick(1); throw boom; })));
  assert.deepEqual(all.map((r) => r.reason), [boom, boom, boom]);
});

test('a waiter that aborts leaves; the work goes on for the others', async () => {
  const sf = new SingleFlight();
  let aborted = false;
  const work = async (signal) => {
    signal.addEventListener('abort', () => (aborted = true));
    await tick(20);
    return 'v';
  };
  const ac = new AbortController();
  const leader = sf.do('k', work, { signal: ac.signal });
  const follower = sf.do('k', work);
  ac.abort();
  await assert.rejects(leader, { name: 'AbortError' });
  assert.equal(await follower, 'v');
  assert.equal(aborted, false);
});

test('the work is aborted only when no waiter is left, and the key is free again', async () => {
  const sf = new SingleFlight();
  let signalSeen;
  const work = (signal) => {
    signalSeen = signal;
    return new Promise(() => {}); // ignores its signal: the key must still be freed
  };
  const a = new AbortController();
  const b = new AbortController();
  const pa = sf.do('k', work, { signal: a.signal });
  const pb = sf.do('k', work, { signal: b.signal });
  a.abort();
  await assert.rejects(pa);
  assert.equal(signalSeen.aborted, false, 'one waiter is still there');
  b.abort();
  await assert.rejects(pb);
  assert.equal(signalSeen.aborted, true);
  assert.equal(sf.size, 0);
  assert.equal(await sf.do('k', async () => 'fresh'), 'fresh');
});

test('different keys run separately; a full table runs unshared', async () => {
  let starts = 0;
  const work = async () => {
    starts++;
    await tick(2);
    return starts;
  };
  const sf = new SingleFlight();
  await Promise.all([sf.do('a', work), sf.do('b', work), sf.do(7n, work), sf.do(7, work)]);
  assert.equal(starts, 3, '7 and 7n are the same key');
  starts = 0;
  const tiny = new SingleFlight({ capacity: 1 });
  const got = await Promise.all([tiny.do('a', work), tiny.do('b', work), tiny.do('a', work)]);
  assert.equal(starts, 2, "'b' found the only slot taken and ran alone");
  assert.equal(got[0], got[2]);
});
