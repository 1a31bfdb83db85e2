'use strict';
// Seeded key hashes: host/tests/vectors/key-hash.json replayed, and what a
// seed buys a keyed table (keys crafted offline to fill a victim's set).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { KeyedLimiter, SingleFlight, hashKey } = require('weir');

const vectors = process.env.WEIR_VECTORS || path.resolve(__dirname, '..', '..', '..', 'core', 'tests', 'vectors');
const file = path.resolve(vectors, '..', '..', '..', 'host', 'tests', 'vectors', 'key-hash.json');
const { cases } = JSON.parse(fs.readFileSync(file, 'utf8'));

test('the key-hash vectors are all here', () => assert.ok(cases.length >= 18));

for (const c of cases) {
  test(`key hash: ${JSON.stringify(c.key)} under ${JSON.stringify(c.secret)}`, () => {
    assert.equal(hashKey(c.key, c.secret), BigInt(c.seeded));
    assert.equal(hashKey(Buffer.from(c.key), new TextEncoder().encode(c.secret)), BigInt(c.seeded));
    assert.equal(hashKey(c.key), BigInt(c.unseeded));
  });
}

// Core's keyed-table placement (weir_core::limiter::set_index), written out
// as an attacker reading the source would.
const M64 = (1n << 64n) - 1n;
const setOf = (hash, sets) => ((((hash * 0x9e3779b97f4a7c15n) & M64) >> 32n) * BigInt(sets)) >> 32n;

function crafted(hashOf, victim, sets) {
  const target = setOf(hashOf(victim), sets);
  const keys = [];
  for (let i = 0; keys.length < 8; i++) {
    if (setOf(hashOf(`attacker-${i}`), sets) === target) keys.push(`attacker-${i}`);
  }
  return keys;
}

// 1 per hour, burst 1, 1024 keys (128 sets of 8): each crafted key takes
// its token, then the victim asks.
function victimAfter(keys, seed) {
  const table = new KeyedLimiter({ rate: 1, per: 'hour', burst: 1, capacity: 1024, seed });
  for (const k of keys) assert.equal(table.tryAcquire(k).ok, true);
  return table.tryAcquire('tenant-7');
}

test('keys crafted against the public hash fill the victim set of an unseeded table', () => {
  const d = victimAfter(crafted((k) => hashKey(k), 'tenant-7', 128), undefined);
  assert.equal(d.ok, false);
  assert.equal(d.reason, 'table_full');
});

test('under a secret seed the victim is admitted, whatever seed the keys were crafted for', () => {
  const known = 'a seed checked into a public repository';
  const aimed = crafted((k) => hashKey(k, known), 'tenant-7', 128);
  assert.equal(victimAfter(aimed, known).reason, 'table_full');
  for (const keys of [crafted((k) => hashKey(k), 'tenant-7', 128), aimed]) {
    assert.equal(victimAfter(keys, "the deployment's own secret").ok, true);
  }
});

test('a seeded KeyedLimiter hashes string keys under its seed, on every thread it is shared with', () => {
  const k = new KeyedLimiter({ rate: 1, per: 'hour', burst: 1, capacity: 64, seed: 's3cret' });
  assert.equal(k.tryAcquire('alice').ok, true);
  assert.equal(k.tryAcquire(hashKey('alice', 's3cret')).ok, false);
  assert.equal(k.tryAcquire(hashKey('alice')).ok, true);
  const same = KeyedLimiter.attach(k.share());
  assert.equal(same.tryAcquire('alice').ok, false);
});

test('a seeded SingleFlight places string keys by the seeded hash', () => {
  const flights = new SingleFlight({ capacity: 16, seed: Buffer.from('s3cret') });
  const lead = flights.begin('k');
  const follow = flights.begin(hashKey('k', 's3cret'));
  assert.equal(lead.role, 'leader');
  assert.equal(follow.role, 'follower');
  assert.deepEqual([follow.slot, follow.gen], [lead.slot, lead.gen]);
  assert.equal(flights.finish(lead).ok, true);
  assert.equal(flights.leave(follow).ok, true);
});

test('bad seeds are refused by name, never echoing the secret', () => {
  for (const make of [(seed) => new KeyedLimiter({ rate: 1, seed }), (seed) => new SingleFlight({ seed })]) {
    for (const empty of ['', new Uint8Array(0)]) {
      assert.throws(
        () => make(empty),
        (e) => e instanceof RangeError && e.field === 'seed' && e.rule === 'a non-empty secret',
      );
    }
    assert.throws(
      () => make(123456789),
      (e) => e instanceof TypeError && e.field === 'seed' && !e.message.includes('123456789'),
    );
  }
  assert.throws(() => hashKey(42), (e) => e instanceof TypeError && e.field === 'key');
  assert.throws(() => hashKey('k', 42), (e) => e instanceof TypeError && e.field === 'seed');
});
