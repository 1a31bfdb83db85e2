'use strict';
// The errors weir throws or rejects with. Bad arguments are the language's
// own TypeError / RangeError, with the offending field named in the
// message and on `.field`; refusals are their own classes carrying what a
// caller needs to answer (`retryAfterMs`, `reason`).

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  return typeof value === 'function' ? 'a function' : `a ${Array.isArray(value) ? 'array' : typeof value}`;
}

function typeError(field, want, got) {
  const e = new TypeError(`${field} must be ${want}, got ${describe(got)}`);
  e.field = field;
  return e;
}

function rangeError(field, rule, got) {
  const e = new RangeError(`${field} must be ${rule}, got ${typeof got === 'string' ? got : describe(got)}`);
  e.field = field;
  e.rule = rule;
  return e;
}

class OverloadedError extends Error {
  constructor(reason, retryAfterMs) {
    super(`overloaded (${reason}); retry after ${retryAfterMs} ms`);
    this.name = 'OverloadedError';
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

class ThrottledError extends Error {
  constructor(retryAfterMs) {
    super(`throttled locally; retry after ${retryAfterMs} ms`);
    this.name = 'ThrottledError';
    this.reason = 'throttled';
    this.retryAfterMs = retryAfterMs;
  }
}

class RateLimitedError extends Error {
  constructor(reason, retryAfterMs) {
    super(`rate limited (${reason}); retry after ${retryAfterMs} ms`);
    this.name = 'RateLimitedError';
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

class CircuitOpenError extends Error {
  constructor(reason, retryAfterMs) {
    super(`circuit breaker refused the call (${reason}); retry after ${retryAfterMs} ms`);
    this.name = 'CircuitOpenError';
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

class RetryError extends Error {
  constructor(reason, attempts, cause) {
    super(`gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`, { cause });
    this.name = 'RetryError';
    this.reason = reason;
    this.attempts = attempts;
  }
}

class DeadlineExceededError extends Error {
  constructor() {
    super('deadline exceeded');
    this.name = 'DeadlineExceededError';
    this.reason = 'deadline_exceeded';
  }
}

/**
 * Whether `e` is weir's own refusal (a limit, shedder, throttle or deadline
 * answered before the dependency was called): never the dependency's failure.
 */
function isLocalRefusal(e) {
  return (
    e instanceof OverloadedError ||
    e instanceof ThrottledError ||
    e instanceof RateLimitedError ||
    e instanceof CircuitOpenError ||
    e instanceof DeadlineExceededError
  );
}

function abortReason(signal) {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}

module.exports = {
  typeError,
  rangeError,
  abortReason,
  OverloadedError,
  ThrottledError,
  RateLimitedError,
  RetryError,
  DeadlineExceededError,
  isLocalRefusal,
  CircuitOpenError,
};
