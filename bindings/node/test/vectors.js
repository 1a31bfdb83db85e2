'use strict';
// Reading the conformance vectors of core/tests/vectors (format in its README).
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

module.exports = { dir, load, big, opt };
