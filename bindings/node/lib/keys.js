'use strict';
// The key hash of the keyed tables. A `seed` (a secret string or bytes)
// goes to native code as UTF-8 bytes; the table hashes every string key
// under it, so no caller without the secret can compute which keys share
// another key's place in the table.
const { n, B } = require('./native');
const { HASH_KEY } = require('./layout');
const { typeError } = require('./errors');

/** The secret of a `seed` option as bytes, or undefined for none. A refusal
 * names the type given, never the value: it may be a secret. */
function seedBytes(seed, field = 'seed') {
  if (seed === undefined) return undefined;
  if (typeof seed === 'string') return Buffer.from(seed, 'utf8');
  if (seed instanceof Uint8Array) return seed;
  const type = seed === null ? 'null' : typeof seed;
  const e = new TypeError(`${field} must be a string or a Uint8Array (a secret), got ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`);
  e.field = field;
  throw e;
}

/** How a constructor's refusal of its seed reads (an empty secret). */
const SEED_FIELD = { name: 'seed', got: () => 'an empty secret' };

/**
 * The 64-bit hash weir gives `key` in every runtime, as a bigint: under
 * `seed`, where a table made with that seed places the key; without one,
 * the public hash an unseeded table uses.
 */
function hashKey(key, seed = undefined) {
  let bytes;
  if (typeof key === 'string') bytes = Buffer.from(key, 'utf8');
  else if (key instanceof Uint8Array) bytes = key;
  else throw typeError('key', 'a string or a Uint8Array', key);
  n.hashKey(bytes, seedBytes(seed));
  return B[HASH_KEY.HASH];
}

module.exports = { seedBytes, SEED_FIELD, hashKey };
