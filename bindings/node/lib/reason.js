'use strict';
// Reason codes as core numbers them (Reason::as_str), fixed by the C ABI.
const REASONS = [
  'admitted',
  'rate_limited',
  'cost_exceeds_burst',
  'table_full',
  'concurrency_limited',
  'cpu_overloaded',
  'cooling_off',
  'queue_full',
  'throttled',
  'time_overflow',
  'budget_exhausted',
  'attempts_exhausted',
  'deadline_too_close',
  'deadline_exceeded',
  'no_node',
  'circuit_open',
  'circuit_half_open',
  'not_retryable',
];

const { F, B, TWO_64 } = require('./native');
const { DECISION } = require('./layout');

/** Nanoseconds (a double read from scratch) to whole ms, rounded up so a
 * retry never comes early; "never" (u64::MAX) is Infinity. */
function ms(ns) {
  return ns >= TWO_64 ? Infinity : Math.ceil(ns / 1e6);
}

/** The decision a call just left in scratch in exact mode (u64 durations). */
function exactDecision() {
  const retryAfter = B[DECISION.RETRY_AFTER];
  return { reason: REASONS[F[DECISION.REASON]], retryAfter, remaining: B[DECISION.REMAINING], resetAfter: B[DECISION.RESET_AFTER] };
}

module.exports = { REASONS, ms, exactDecision };
