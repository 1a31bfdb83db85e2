'use strict';
// withFallback: a weir refusal (or, if asked, any failure) answered by a
// fallback instead of an error: a static value, a stale cache entry, a
// partial answer. Each fallback taken is counted by reason.
const { typeError, OverloadedError, ThrottledError, RateLimitedError, CircuitOpenError } = require('./errors');
const { NoNodeError } = require('./picker');

const REFUSALS = [RateLimitedError, OverloadedError, ThrottledError, CircuitOpenError, NoNodeError];

/** Whether `err` is a refusal by a weir primitive (it carries a `reason`). */
function isRefusal(err) {
  return REFUSALS.some((kind) => err instanceof kind);
}

/**
 * Wraps `fn(...args)` so that a refusal (by default; `on(err)` to choose,
 * e.g. `on: () => true` for every failure) resolves to `fallback` instead:
 * a value, or a function called with `(err, ...args)` whose result (awaited)
 * is the answer. `wrapped.stats()` counts the fallbacks taken by reason
 * (`failed` for errors that are not a refusal).
 */
function withFallback(fn, fallback, options = undefined) {
  if (typeof fn !== 'function') throw typeError('fn', 'a function', fn);
  const on = options === undefined || options.on === undefined ? isRefusal : options.on;
  if (typeof on !== 'function') throw typeError('on', 'a function (err) => boolean', on);
  const answer = typeof fallback === 'function' ? fallback : () => fallback;
  const taken = {};
  const wrapped = async function (...args) {
    try {
      return await fn.apply(this, args);
    } catch (err) {
      if (!on(err)) throw err;
      const reason = isRefusal(err) ? err.reason : 'failed';
      taken[reason] = (taken[reason] || 0) + 1;
      return answer(err, ...args);
    }
  };
  wrapped.stats = () => ({ ...taken });
  return wrapped;
}

module.exports = { withFallback, isRefusal };
