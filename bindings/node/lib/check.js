'use strict';
// Validation of user options before anything reaches native code: wrong
// types are TypeErrors, out-of-range values RangeErrors, each naming the
// field as the user spelled it.
const { typeError, rangeError } = require('./errors');
const { F, B, U64_MAX } = require('./native');

const MAX_NS = 18446744073709551615; // rounds to 2^64: "no limit" in u64 ns

function options(value, name = 'options') {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError(name, 'an object', value);
  }
  return value;
}

function number(v, field) {
  if (typeof v !== 'number') throw typeError(field, 'a number', v);
  if (Number.isNaN(v)) throw rangeError(field, 'a number (not NaN)', v);
  return v;
}

/** An integer in [min, max]. */
function integer(v, field, min = 0, max = Number.MAX_SAFE_INTEGER) {
  number(v, field);
  if (!Number.isInteger(v) || v < min || v > max) {
    const rule = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw rangeError(field, rule, v);
  }
  return v;
}

/** A finite number in [min, max]. */
function finite(v, field, min, max) {
  number(v, field);
  if (!Number.isFinite(v) || v < min || v > max) throw rangeError(field, `a finite number in [${min}, ${max}]`, v);
  return v;
}

const UNITS = { second: 1e3, minute: 60e3, hour: 3600e3, day: 86400e3 };

/** A duration: a number of milliseconds, a unit name, or a bigint of
 * nanoseconds (exact); as nanoseconds (a number, or the bigint as given). */
function durationNs(v, field, { min = 0, allowInfinity = false } = {}) {
  if (typeof v === 'bigint') {
    if (v < BigInt(Math.ceil(min * 1e6)) || v > U64_MAX) throw rangeError(field, `a duration in [${min} ms, 2^64 - 1 ns]`, v);
    return v;
  }
  if (typeof v === 'string') {
    if (!(v in UNITS)) throw rangeError(field, `a number of milliseconds or one of ${Object.keys(UNITS).join(', ')}`, v);
    return UNITS[v] * 1e6;
  }
  number(v, field);
  if (v === Infinity && allowInfinity) return MAX_NS;
  if (!Number.isFinite(v) || v < min) throw rangeError(field, `a finite number of milliseconds >= ${min}`, v);
  return Math.min(Math.round(v * 1e6), MAX_NS);
}

/** Writes a non-negative integer (number or bigint) into B[slot] exactly. */
function putU64(slot, v, field) {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw rangeError(field, 'in [0, 2^64 - 1]', v);
    B[slot] = v;
    return;
  }
  number(v, field);
  if (!(v >= 0) || !Number.isInteger(v)) throw rangeError(field, 'an integer >= 0', v);
  B[slot] = v >= MAX_NS ? U64_MAX : BigInt(v);
}

/** Writes each option `o` gives into its slot, by `slots` (option name ->
 * [slot, kind]: 'n' a count, 'f' a finite number, 'd' a duration); returns
 * the given ones as a mask, bit `slot - first`. */
function putGiven(o, slots, first = 0) {
  let mask = 0;
  for (const [name, [slot, kind]] of Object.entries(slots)) {
    const v = o[name];
    if (v === undefined) continue;
    mask |= 1 << (slot - first);
    if (kind === 'f') F[slot] = finite(v, name, -Infinity, Infinity);
    else if (kind === 'd') putU64(slot, durationNs(v, name), name);
    else putU64(slot, u64(v, name), name);
  }
  return mask;
}

/** An integer in [min, 2^64 - 1] given as a number or a bigint; as a bigint. */
function u64(v, field, min = 0) {
  if (typeof v === 'bigint') {
    if (v < BigInt(min) || v > U64_MAX) throw rangeError(field, `an integer in [${min}, 2^64 - 1]`, v);
    return v;
  }
  return BigInt(integer(v, field, min));
}

function bool(v, field) {
  if (typeof v !== 'boolean') throw typeError(field, 'a boolean', v);
  return v;
}

function fn(v, field) {
  if (typeof v !== 'function') throw typeError(field, 'a function', v);
  return v;
}

function signal(v, field = 'signal') {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || typeof v.aborted !== 'boolean' || typeof v.addEventListener !== 'function') {
    throw typeError(field, 'an AbortSignal', v);
  }
  return v;
}

function cost(v) {
  if (typeof v !== 'number') throw typeError('cost', 'a number', v);
  if (!(v >= 0) || !Number.isInteger(v) || v > Number.MAX_SAFE_INTEGER) throw rangeError('cost', 'an integer >= 0', v);
  return v;
}

module.exports = { options, u64, integer, finite, durationNs, putU64, putGiven, bool, fn, signal, cost, number, MAX_NS };
