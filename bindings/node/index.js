'use strict';
// weir for Node: resilience decisions (rate limits, load shedding,
// throttling, retries, singleflight, deadlines) made by the same Rust core
// as every other weir runtime.
const { Limiter, KeyedLimiter, MultiLimiter } = require('./lib/limiter');
const { ConcurrencyLimiter } = require('./lib/concurrency');
const { Shedder } = require('./lib/shedder');
const { Throttle } = require('./lib/throttle');
const { Picker, NoNodeError } = require('./lib/picker');
const { Backoff, RetryBudget, Retry, retry } = require('./lib/retry');
const { withFallback, isRefusal } = require('./lib/fallback');
const { SingleFlight } = require('./lib/singleflight');
const { hashKey } = require('./lib/keys');
const { Deadline } = require('./lib/deadline');
const { FleetLimiter } = require('./lib/fleet');
const { Policy, Verdict, PolicyError } = require('./lib/policy');
const { Lease } = require('./lib/lease');
const { CircuitBreaker } = require('./lib/breaker');
const { AdaptiveLimiter } = require('./lib/adaptive');
const { LatencyQuantiles, HotKeys, Hedger, HotCache, hedged } = require('./lib/hedge');
const headers = require('./lib/headers');
const errors = require('./lib/errors');
const { n, F, B } = require('./lib/native');

/** The clock weir reads (CLOCK_MONOTONIC: one clock for every process on
 * the host), in nanoseconds, exact: what the `...At(now)` methods take. */
function nowNs() {
  n.clock();
  return B[1];
}

/** The same clock in milliseconds, as a double. */
function nowMs() {
  n.clock();
  return F[2] / 1e6;
}

module.exports = {
  nowNs,
  nowMs,
  Limiter,
  KeyedLimiter,
  MultiLimiter,
  ConcurrencyLimiter,
  Shedder,
  Throttle,
  Picker,
  Backoff,
  RetryBudget,
  Retry,
  retry,
  withFallback,
  isRefusal,
  SingleFlight,
  hashKey,
  Deadline,
  FleetLimiter,
  Policy,
  Verdict,
  PolicyError,
  Lease,
  CircuitBreaker,
  AdaptiveLimiter,
  LatencyQuantiles,
  HotKeys,
  Hedger,
  HotCache,
  hedged,
  parseGrpcTimeout: headers.parseGrpcTimeout,
  formatGrpcTimeout: headers.formatGrpcTimeout,
  parseMillis: headers.parseMillis,
  formatMillis: headers.formatMillis,
  parseRetryAfter: headers.parseRetryAfter,
  exactHeaders: headers.exactly,
  NoNodeError,
  OverloadedError: errors.OverloadedError,
  ThrottledError: errors.ThrottledError,
  RateLimitedError: errors.RateLimitedError,
  RetryError: errors.RetryError,
  DeadlineExceededError: errors.DeadlineExceededError,
  CircuitOpenError: errors.CircuitOpenError,
};
