'use strict';
// Header codecs through core: grpc-timeout, plain milliseconds, Retry-After.
const { n, F, B } = require('./native');
const { CALL, HEADER } = require('./layout');
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
  F[CALL.MODE] = exactly ? 1 : 0;
  try {
    native(value);
    if (F[HEADER.CODE] !== 0) throw headerError(F[HEADER.CODE], value);
    if (exactly) return B[HEADER.NS];
    const ns = F[HEADER.NS];
    return ns >= 18446744073709551615 ? Infinity : ns / 1e6;
  } finally {
    F[CALL.MODE] = 0;
  }
}

function format(native, ns, bufLen) {
  check.putU64(HEADER.NS, ns, 'timeout');
  F[HEADER.TEXT_CAPACITY] = bufLen;
  native();
  if (F[HEADER.CODE] !== 0) throw headerError(F[HEADER.CODE], ns);
  const text = HEADER.TEXT * 8;
  return String.fromCharCode(...bytes.subarray(text, text + F[HEADER.TEXT_LENGTH]));
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
  F[HEADER.NOW_UNIX_S] = Math.floor(nowUnixMs / 1000);
  return parse(n.retryAfterParse, value, false);
}

// Exact variants (bigint ns) for hosts and the conformance vectors.
const exactly = {
  parseGrpcTimeout: (value) => parse(n.grpcTimeoutParse, value, true),
  parseMillis: (value) => parse(n.millisParse, value, true),
  parseRetryAfter(value, nowUnixS) {
    check.putU64(HEADER.NOW_UNIX_S, nowUnixS, 'nowUnixS');
    return parse(n.retryAfterParse, value, true);
  },
  formatGrpcTimeout: (ns, bufLen = 32) => format(n.grpcTimeoutFormat, ns, check.integer(bufLen, 'bufLen', 0, 40)),
  formatMillis: (ns, bufLen = 32) => format(n.millisFormat, ns, check.integer(bufLen, 'bufLen', 0, 40)),
};

module.exports = { parseGrpcTimeout, formatGrpcTimeout, parseMillis, formatMillis, parseRetryAfter, exactly };
