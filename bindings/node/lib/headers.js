'use strict';
// Header codecs through core: grpc-timeout, plain milliseconds, Retry-After.
const { n, F, B } = require('./native');
const check = require('./check');
const { typeError, rangeError } = require('./errors');

const HEADER_ERRORS = [undefined, 'empty', 'invalid_digit', 'too_many_digits', 'invalid_unit', 'invalid_date', 'buffer_too_small'];
const bytes = new Uint8Array(B.buffer);

function headerError(code, value) {
  const e = rangeError('value', `a valid header value (${HEADER_ERRORS[code]})`, value);
  e.reason = HEADER_ERRORS[code];
  return e;
}

function parse(native, value, exactly) {
  if (typeof value !== 'string') throw typeError('value', 'a string', value);
  F[F.length - 1] = exactly ? 1 : 0;
  try {
    native(value);
    if (F[1] !== 0) throw headerError(F[1], value);
    return exactly ? B[2] : F[2] >= 18446744073709551615 ? Infinity : F[2] / 1e6;
  } finally {
    F[F.length - 1] = 0;
  }
}

function format(native, ns, bufLen) {
  check.putU64(2, ns, 'timeout');
  F[8] = bufLen;
  native();
  if (F[1] !== 0) throw headerError(F[1], ns);
  return String.fromCharCode(...bytes.subarray(24, 24 + F[9]));
}

function msToNs(v, field) {
  if (v === Infinity) return 0xffffffffffffffffn;
  check.finite(v, field, 0, Number.MAX_VALUE);
  return BigInt(Math.min(Math.ceil(v * 1e6), 18446744073709551615));
}

/** `grpc-timeout` value -> milliseconds (Infinity when it saturates). */
const parseGrpcTimeout = (value) => parse(n.grpcTimeoutParse, value, false);
/** Milliseconds -> `grpc-timeout` value, rounded up to the unit. */
const formatGrpcTimeout = (timeoutMs) => format(n.grpcTimeoutFormat, msToNs(timeoutMs, 'timeoutMs'), 32);
/** A plain milliseconds header (`grpc-retry-pushback-ms`, `x-envoy-expected-rq-timeout-ms`) -> ms. */
const parseMillis = (value) => parse(n.millisParse, value, false);
const formatMillis = (timeoutMs) => format(n.millisFormat, msToNs(timeoutMs, 'timeoutMs'), 32);

/** A `Retry-After` value (seconds or an HTTP date) -> milliseconds from now. */
function parseRetryAfter(value, nowUnixMs = Date.now()) {
  check.finite(nowUnixMs, 'nowUnixMs', 0, Number.MAX_SAFE_INTEGER);
  F[2] = Math.floor(nowUnixMs / 1000);
  return parse(n.retryAfterParse, value, false);
}

// Exact variants (bigint ns) for hosts and the conformance vectors.
const exactly = {
  parseGrpcTimeout: (value) => parse(n.grpcTimeoutParse, value, true),
  parseMillis: (value) => parse(n.millisParse, value, true),
  parseRetryAfter(value, nowUnixS) {
    check.putU64(2, nowUnixS, 'nowUnixS');
    return parse(n.retryAfterParse, value, true);
  },
  formatGrpcTimeout: (ns, bufLen = 32) => format(n.grpcTimeoutFormat, ns, check.integer(bufLen, 'bufLen', 0, 40)),
  formatMillis: (ns, bufLen = 32) => format(n.millisFormat, ns, check.integer(bufLen, 'bufLen', 0, 40)),
};

module.exports = { parseGrpcTimeout, formatGrpcTimeout, parseMillis, formatMillis, parseRetryAfter, exactly };
