'use strict';
// Reading the conformance vectors of core/tests/vectors (format in its README)
// and checking answers against them.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.WEIR_VECTORS || path.resolve(__dirname, '..', '..', '..', 'core', 'tests', 'vectors');

/** Every vector, as `{ file, vector }`, sorted by file name. */
function load() {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, vector: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) }));
}

/** A vector integer (a JSON number, or a decimal string above 2^53) as a bigint. */
function big(v) {
  if (typeof v === 'number' || typeof v === 'string') return BigInt(v);
  throw new Error(`not an integer: ${JSON.stringify(v)}`);
}

function opt(obj, name, fallback) {
  return obj && obj[name] !== undefined ? big(obj[name]) : fallback;
}

/** Compares each `expect` field present with the answer. */
function expectFields(step, i, got) {
  const want = step.expect || {};
  for (const [name, value] of Object.entries(want)) {
    if (!(name in got)) throw new Error(`step ${i}: no replay of expect field ${name}`);
    const actual = got[name];
    if (Array.isArray(value)) {
      // A list of records (a breaker's transitions): same length, and each
      // field a record names compared as a scalar.
      assert.equal(actual.length, value.length, `step ${i} (${JSON.stringify(step)}): ${name}: got ${JSON.stringify(actual, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      value.forEach((w, k) => expectFields({ expect: w }, `${i} ${name}[${k}]`, actual[k]));
      continue;
    }
    if (value === null) {
      assert.equal(actual, null, `step ${i} (${JSON.stringify(step)}): ${name}`);
      continue;
    }
    const expected = typeof value === 'boolean' || (typeof value === 'string' && !/^\d+$/.test(value)) ? value : big(value);
    assert.deepEqual(typeof expected === 'bigint' ? BigInt(actual) : actual, expected, `step ${i} (${JSON.stringify(step)}): ${name}`);
  }
}

/** `{ ns }` or `{ error }`, as the header vectors expect. */
function header(run) {
  try {
    return { ns: run() };
  } catch (e) {
    if (!e.reason) throw e;
    return { error: e.reason };
  }
}

module.exports = { dir, load, big, opt, expectFields, header };
