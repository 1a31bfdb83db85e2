/*
 * weir: the C ABI of a resilience core (rate limits, load shedding,
 * adaptive throttling, p2c picking, backoff, retry budgets, singleflight,
 * deadlines, and fleet-wide limits leased from Redis).
 *
 * Conventions:
 * - Opaque handles come from weir_X_new() and go back through
 *   weir_X_free(&handle), which sets the variable to NULL: freeing the same
 *   variable twice is a no-op.
 * - Every fallible function returns a weir_status (WEIR_STATUS_OK is 0).
 *   Out-pointers are written only on WEIR_STATUS_OK. Every pointer argument
 *   is checked for NULL (WEIR_STATUS_NULL_ARGUMENT).
 * - After WEIR_STATUS_INVALID_CONFIG, weir_last_error_field(),
 *   weir_last_error_rule() and weir_last_error_message() say what was wrong
 *   (thread-local, like errno).
 * - Thread safety: every handle may be used from any number of threads at
 *   once (the cells are lock-free); only weir_X_free must not race with
 *   other use of the same handle.
 * - Time: `now` arguments are nanoseconds on one monotonic clock; each
 *   decision also has a `_now` variant that reads weir_now() inside the
 *   call (CLOCK_MONOTONIC's scale, read from the invariant TSC where the
 *   CPU has one: a few ns instead of a vDSO call).
 * - No panic crosses the boundary: one would be reported as
 *   WEIR_STATUS_PANIC.
 */


#ifndef WEIR_H
#define WEIR_H

/* Generated from ffi/src by cbindgen; do not edit by hand. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Major version of the header (and of the crate it came from).
#define WEIR_VERSION_MAJOR 0

// Minor version.
#define WEIR_VERSION_MINOR 1

// Patch version.
#define WEIR_VERSION_PATCH 0

// Pass as `max_queue` or `max_wait_ns` for weir's default (1024 waiters,
// 60 s).
#define WEIR_BULKHEAD_DEFAULT UINT64_MAX

// Slots in a `weir_shedder_slots`; an acquire that finds all taken admits
// without one (`*slot` is this value) and the request ends through
// `weir_shedder_done_now`.
#define WEIR_SHEDDER_SLOTS 64

// `how`: the request ended at `ended` nanoseconds (the shedder's clock).
#define WEIR_SHEDDER_ENDED_AT_NS 1

// `how`: the request ended at `ended` raw counter ticks (see `weir_ticks`),
// which the library scales to `weir_now()`.
#define WEIR_SHEDDER_ENDED_AT_TICKS 2

// `how`: the request never reached the service (refused later, cancelled
// before sending): it leaves in-flight without a response time.
#define WEIR_SHEDDER_CANCELLED 3

// `weir_ticks`: no counter a caller can read itself matches `weir_now()`.
#define WEIR_TICKS_NONE 0

// `weir_ticks`: `weir_now()` scales the x86-64 time-stamp counter; a
// caller may read it with `rdtsc` and hand the raw value over.
#define WEIR_TICKS_X86_TSC 1

// The outcome of every fallible call. `WEIR_STATUS_OK` is 0; the other
// values never change meaning between releases.
enum weir_status
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Success: out-pointers were written.
  WEIR_STATUS_OK = 0,
  // A required pointer argument was NULL.
  WEIR_STATUS_NULL_ARGUMENT = 1,
  // A `_new` function refused its config; `weir_last_error_field()` and
  // `weir_last_error_rule()` say which field broke which rule.
  WEIR_STATUS_INVALID_CONFIG = 2,
  // A panic was caught at the boundary (a bug in weir; please report it).
  WEIR_STATUS_PANIC = 3,
  // An argument other than a config was out of range (an unknown enum
  // code, a length that does not fit); the last error says which.
  WEIR_STATUS_INVALID_ARGUMENT = 4,
  // The allocation a `_new` function needs could not be made.
  WEIR_STATUS_OUT_OF_MEMORY = 5,
  // A fixed-size table has no room (e.g. every picker slot is taken).
  WEIR_STATUS_FULL = 6,
  // The handle-relative thing named does not exist now: an empty slot, a
  // stale ticket, a repeated finish.
  WEIR_STATUS_NOT_FOUND = 7,
  // A header value could not be parsed; the last error names why
  // (`invalid_digit`, `invalid_unit`, ...).
  WEIR_STATUS_INVALID_HEADER = 8,
  // The caller's buffer is too small for the output.
  WEIR_STATUS_BUFFER_TOO_SMALL = 9,
  // No value is available yet (e.g. the first CPU sample).
  WEIR_STATUS_UNAVAILABLE = 10,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_status weir_status;
#else
typedef uint32_t weir_status;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// Which text of a verdict to read.
typedef enum {
  // `admitted`, or why not: `rate_limited`, `table_full`, `queue_full`...
  WEIR_VERDICT_TEXT_REASON = 0,
  // The rule that refused; empty when admitted.
  WEIR_VERDICT_TEXT_RULE = 1,
  // The answer's body; empty when admitted.
  WEIR_VERDICT_TEXT_BODY = 2,
  // The cluster a `pick` chose; empty if none.
  WEIR_VERDICT_TEXT_UPSTREAM = 3,
} weir_verdict_text;

// Why a decision came out the way it did. The values are weir-core's
// `Reason` codes and never change.
enum weir_reason
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Admitted.
  WEIR_REASON_ADMITTED = 0,
  // No tokens for this cost now; `retry_after_ns` says when.
  WEIR_REASON_RATE_LIMITED = 1,
  // The cost exceeds the burst and can never be admitted.
  WEIR_REASON_COST_EXCEEDS_BURST = 2,
  // A keyed table has no free entry for a new key in its set.
  WEIR_REASON_TABLE_FULL = 3,
  // A concurrency limit is at its maximum.
  WEIR_REASON_CONCURRENCY_LIMITED = 4,
  // The shedder saw CPU at or above its threshold and too much in flight.
  WEIR_REASON_CPU_OVERLOADED = 5,
  // The shedder is cooling off after a drop and too much is in flight.
  WEIR_REASON_COOLING_OFF = 6,
  // The shedder's in-flight queue reached its hard cap.
  WEIR_REASON_QUEUE_FULL = 7,
  // Client-side adaptive throttling refused the request locally.
  WEIR_REASON_THROTTLED = 8,
  // The state's time horizon would overflow; refused rather than wrapped.
  WEIR_REASON_TIME_OVERFLOW = 9,
  // A retry budget has spent its allowance.
  WEIR_REASON_BUDGET_EXHAUSTED = 10,
  // The retry policy's maximum attempts were reached.
  WEIR_REASON_ATTEMPTS_EXHAUSTED = 11,
  // The backoff delay would use up what is left of the deadline.
  WEIR_REASON_DEADLINE_TOO_CLOSE = 12,
  // Nothing is left of the deadline after the margin.
  WEIR_REASON_DEADLINE_EXCEEDED = 13,
  // The picker has no node that is up.
  WEIR_REASON_NO_NODE = 14,
  // A circuit breaker is open; `retry_after_ns` is the time left in open
  // (`UINT64_MAX` when forced open).
  WEIR_REASON_CIRCUIT_OPEN = 15,
  // A circuit breaker is half-open and every probe it allows is out.
  WEIR_REASON_CIRCUIT_HALF_OPEN = 16,
  // The failed call's answer said a layer below already decided against
  // a retry (`x-weir-no-retry: 1`, a negative `grpc-retry-pushback-ms`).
  WEIR_REASON_NOT_RETRYABLE = 17,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_reason weir_reason;
#else
typedef uint32_t weir_reason;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// What a spend found.
enum weir_spend_outcome
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // The cost was taken; `left` tokens remain.
  WEIR_SPEND_OUTCOME_SPENT = 0,
  // The lease is live but holds fewer than the cost; nothing taken.
  WEIR_SPEND_OUTCOME_SHORT = 1,
  // No live lease (never granted, or expired).
  WEIR_SPEND_OUTCOME_EXPIRED = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_spend_outcome weir_spend_outcome;
#else
typedef uint32_t weir_spend_outcome;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// How the exponential delay `d` is randomised.
enum weir_jitter
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Exactly `d`.
  WEIR_JITTER_NONE = 0,
  // Uniform in [0, d).
  WEIR_JITTER_FULL = 1,
  // Uniform in [d/2, d).
  WEIR_JITTER_EQUAL = 2,
  // Uniform in [base, min(cap, 3 * previous)).
  WEIR_JITTER_DECORRELATED = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_jitter weir_jitter;
#else
typedef uint32_t weir_jitter;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// A node slot's membership.
enum weir_node_state
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // No node.
  WEIR_NODE_STATE_EMPTY = 0,
  // Pickable.
  WEIR_NODE_STATE_UP = 1,
  // Marked down: not picked.
  WEIR_NODE_STATE_DOWN = 2,
  // Being added (a few instructions long).
  WEIR_NODE_STATE_ADDING = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_node_state weir_node_state;
#else
typedef uint32_t weir_node_state;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// A caller's part in a flight.
enum weir_flight_role
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Do the work, then `weir_singleflight_finish`.
  WEIR_FLIGHT_ROLE_LEADER = 0,
  // Wait for the leader's result, then `weir_singleflight_leave` (also
  // to give up waiting).
  WEIR_FLIGHT_ROLE_FOLLOWER = 1,
  // The key's slot is busy with another key: do the work unshared.
  WEIR_FLIGHT_ROLE_TABLE_FULL = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_flight_role weir_flight_role;
#else
typedef uint32_t weir_flight_role;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// A slot's phase, for snapshots.
enum weir_slot_state
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // No flight.
  WEIR_SLOT_STATE_FREE = 0,
  // Being claimed by a new leader.
  WEIR_SLOT_STATE_CLAIMING = 1,
  // A leader is working; followers may join.
  WEIR_SLOT_STATE_ACTIVE = 2,
  // The leader finished; followers still reading its result.
  WEIR_SLOT_STATE_DRAINING = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_slot_state weir_slot_state;
#else
typedef uint32_t weir_slot_state;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// Which sliding window a closed breaker keeps.
enum weir_breaker_window
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // The last `window_calls` calls.
  WEIR_BREAKER_WINDOW_COUNT = 0,
  // The calls of the last `window_ns`, in `buckets`.
  WEIR_BREAKER_WINDOW_TIME = 1,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_breaker_window weir_breaker_window;
#else
typedef uint32_t weir_breaker_window;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// A breaker's state. The values never change.
enum weir_breaker_state
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Calls pass; outcomes fill the window.
  WEIR_BREAKER_STATE_CLOSED = 0,
  // Calls are refused until the wait in open ends.
  WEIR_BREAKER_STATE_OPEN = 1,
  // A bounded number of probes pass.
  WEIR_BREAKER_STATE_HALF_OPEN = 2,
  // Refused until `weir_breaker_reset`.
  WEIR_BREAKER_STATE_FORCED_OPEN = 3,
  // Every call passes; nothing is recorded.
  WEIR_BREAKER_STATE_DISABLED = 4,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_breaker_state weir_breaker_state;
#else
typedef uint32_t weir_breaker_state;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// Why a breaker moved. The values never change.
enum weir_breaker_cause
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Closed -> open: the failure rate reached its threshold.
  WEIR_BREAKER_CAUSE_FAILURE_RATE = 0,
  // Closed -> open: the slow-call rate reached its threshold.
  WEIR_BREAKER_CAUSE_SLOW_CALL_RATE = 1,
  // Closed -> open: `consecutive_failures` failures in a row.
  WEIR_BREAKER_CAUSE_CONSECUTIVE_FAILURES = 2,
  // Open -> half-open: the wait in open is over.
  WEIR_BREAKER_CAUSE_WAIT_OVER = 3,
  // Half-open -> open: the probes failed too often.
  WEIR_BREAKER_CAUSE_PROBES_FAILED = 4,
  // Half-open -> open: the probes were too often slow.
  WEIR_BREAKER_CAUSE_PROBES_SLOW = 5,
  // Half-open -> open: the probes did not all report in time.
  WEIR_BREAKER_CAUSE_PROBES_TIMED_OUT = 6,
  // Half-open -> closed: every probe reported and no rule held.
  WEIR_BREAKER_CAUSE_PROBES_PASSED = 7,
  // `weir_breaker_force_open`.
  WEIR_BREAKER_CAUSE_FORCED_OPEN = 8,
  // `weir_breaker_disable`.
  WEIR_BREAKER_CAUSE_DISABLED = 9,
  // `weir_breaker_reset`.
  WEIR_BREAKER_CAUSE_RESET = 10,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_breaker_cause weir_breaker_cause;
#else
typedef uint32_t weir_breaker_cause;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// How the limit is learned.
enum weir_adaptive_algorithm
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Netflix's Gradient2 (the default): long-term RTT against each sample.
  WEIR_ADAPTIVE_ALGORITHM_GRADIENT2 = 0,
  // TCP Vegas: the queue implied by the no-load RTT.
  WEIR_ADAPTIVE_ALGORITHM_VEGAS = 1,
  // Additive increase, multiplicative decrease on drops and timeouts.
  WEIR_ADAPTIVE_ALGORITHM_AIMD = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_adaptive_algorithm weir_adaptive_algorithm;
#else
typedef uint32_t weir_adaptive_algorithm;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// How an admitted request ended.
enum weir_adaptive_outcome
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // It completed; its RTT is a sample.
  WEIR_ADAPTIVE_OUTCOME_SUCCESS = 0,
  // Timed out or refused downstream for overload; Vegas and AIMD shrink.
  WEIR_ADAPTIVE_OUTCOME_DROPPED = 1,
  // It says nothing about capacity (cancelled): only its slot is freed.
  WEIR_ADAPTIVE_OUTCOME_IGNORED = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_adaptive_outcome weir_adaptive_outcome;
#else
typedef uint32_t weir_adaptive_outcome;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// What happened. The values never change.
enum weir_event_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Decisions were refused; `count` says how many since the last one.
  WEIR_EVENT_KIND_REFUSED = 0,
  // A shedder began shedding.
  WEIR_EVENT_KIND_DROPPING_STARTED = 1,
  // A shedder admitted again after a cool-off without a shed.
  WEIR_EVENT_KIND_DROPPING_STOPPED = 2,
  // A throttle began refusing locally.
  WEIR_EVENT_KIND_REFUSING_STARTED = 3,
  // A throttle admitted again one bucket after its last refusal.
  WEIR_EVENT_KIND_REFUSING_STOPPED = 4,
  // A retry budget refused a retry.
  WEIR_EVENT_KIND_BUDGET_EXHAUSTED = 5,
  // A retry budget admitted a retry again.
  WEIR_EVENT_KIND_BUDGET_RECOVERED = 6,
  // A keyed table had no entry free for a new key.
  WEIR_EVENT_KIND_TABLE_FULL = 7,
  // A keyed table held keys again after being full.
  WEIR_EVENT_KIND_TABLE_RECOVERED = 8,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_event_kind weir_event_kind;
#else
typedef uint32_t weir_event_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// Why a caller got no permit (`weir_bulkhead_admission.refusal`).
enum weir_bulkhead_refusal
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Every permit is out and there is no queue (`max_queue` 0).
  WEIR_BULKHEAD_REFUSAL_CONCURRENCY_LIMITED = 0,
  // Every permit is out and the queue is full.
  WEIR_BULKHEAD_REFUSAL_QUEUE_FULL = 1,
  // The waiter waited `max_wait` (or its own shorter wait).
  WEIR_BULKHEAD_REFUSAL_WAIT_TIMEOUT = 2,
  // The waiter's caller gave up.
  WEIR_BULKHEAD_REFUSAL_CANCELLED = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_bulkhead_refusal weir_bulkhead_refusal;
#else
typedef uint32_t weir_bulkhead_refusal;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// What to do about the next hedge.
enum weir_hedge_action
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // Send it now (its retry is spent).
  WEIR_HEDGE_ACTION_SEND = 0,
  // Not yet: ask again at `due` if no answer came.
  WEIR_HEDGE_ACTION_WAIT = 1,
  // Send no more for this request; `reason` says why.
  WEIR_HEDGE_ACTION_STOP = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum weir_hedge_action weir_hedge_action;
#else
typedef uint32_t weir_hedge_action;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// An adaptive concurrency limit. Thread-safe (compare-exchange on a few
// words); only `_free` must not race.
typedef struct weir_adaptive_limit weir_adaptive_limit;

// A backoff policy (pure: holds only its config). Thread-safe.
typedef struct weir_backoff weir_backoff;

// A circuit breaker. Thread-safe (one lock-free state word; the event
// queue is touched only by calls that move the breaker); only `_free`
// must not race.
typedef struct weir_breaker weir_breaker;

// A concurrency limiter. Thread-safe: every call but `_free` from any
// threads at once (one CAS each while nobody waits).
typedef struct weir_concurrency_limiter weir_concurrency_limiter;

// The counters of a policy at the moment `weir_policy_counters` took them.
typedef struct weir_counters weir_counters;

// Samples this process's CPU use (cgroup v2, else `/proc/stat`) in
// permille, for `weir_shedder_record_cpu`. Thread-safe (a mutex inside;
// sampling is meant for a ticker, every ~500 ms, not the hot path).
typedef struct weir_cpu_sampler weir_cpu_sampler;

// A deadline policy (pure: holds only its config). Thread-safe.
typedef struct weir_deadline weir_deadline;

// The event queue of one handle; borrowed from it, valid while it lives.
typedef struct weir_events weir_events;

// A fleet limiter: a lease spent with one CAS per request and a background
// thread that owns the one Redis connection. Thread-safe: every function
// may run on one handle from any number of threads at once; only `_free`
// must not race.
typedef struct weir_fleet_limiter weir_fleet_limiter;

// A hedger. Thread-safe; only `_free` must not race.
typedef struct weir_hedger weir_hedger;

// A hot-key detector. Thread-safe; only `_free` must not race.
typedef struct weir_hot_keys weir_hot_keys;

// A keyed rate limiter. Thread-safe like `weir_limiter`: any number of
// threads may call it at once; only `_free` must not race.
typedef struct weir_keyed_limiter weir_keyed_limiter;

// A lease shared by threads: every spend and grant is one CAS, so
// concurrent spenders take exactly the granted tokens between them.
typedef struct weir_lease weir_lease;

// A lease planner (pure: holds only its config). Thread-safe.
typedef struct weir_lease_planner weir_lease_planner;

// A rate limiter. Thread-safe: every function may be called on one handle
// from any number of threads at once (a lock-free CAS on one word); only
// `weir_limiter_free` must not race with other use.
typedef struct weir_limiter weir_limiter;

// Several rates on one limiter (10 a second and 1000 an hour), decided in
// one call: a request is admitted only if every rate admits it, and a
// refusal spends from none. Thread-safe like `weir_limiter` (the rates are
// decided under a short internal lock); only `_free` must not race.
typedef struct weir_multi_limiter weir_multi_limiter;

// A p2c picker. Thread-safe: pick, done, add, remove and set_up may run
// from any threads at once (lock-free); only `_free` must not race.
typedef struct weir_picker weir_picker;

// A policy serving this process. Thread-safe; only `_free` must not race.
typedef struct weir_policy weir_policy;

// A latency estimator. Thread-safe (one compare-exchange per record);
// only `_free` must not race.
typedef struct weir_quantiles weir_quantiles;

// A retry budget. Thread-safe (lock-free: one CAS per deposit or admitted
// withdraw); only `_free` must not race. Hedgers made with
// `weir_hedger_new_with_budget` hold the budget too, so it lives until
// the last of the handle and those hedgers is freed.
typedef struct weir_retry_budget weir_retry_budget;

// A rate limiter whose state lives in a memory-mapped file, so every
// process that opens the same path spends from one bucket. Thread-safe like
// `weir_limiter` (a lock-free CAS on one word); only
// `weir_shared_limiter_free` must not race with other use of the handle.
typedef struct weir_shared_limiter weir_shared_limiter;

// A shedder. Thread-safe: every function may run on one handle from any
// number of threads at once (lock-free); only `_free` must not race.
typedef struct weir_shedder weir_shedder;

// A singleflight table. Thread-safe: begin, finish and leave may run from
// any threads at once; only `_free` must not race.
typedef struct weir_singleflight weir_singleflight;

// A throttle. Thread-safe (lock-free window words); only `_free` must not race.
typedef struct weir_throttle weir_throttle;

// One request's verdict; owns the strings its accessors lend.
typedef struct weir_verdict weir_verdict;

// Every setting of every algorithm; only the chosen algorithm's fields are
// read. `weir_adaptive_limit_config_default(algorithm, &c)` fills each
// field with that algorithm's defaults (Netflix's).
typedef struct {
  // A `weir_adaptive_algorithm` value.
  uint32_t algorithm;
  // The limit before any sample, in [min_limit, max_limit].
  uint64_t initial_limit;
  // The limit never goes below this, >= 1.
  uint64_t min_limit;
  // The limit never goes above this, in [min_limit, 1000000].
  uint64_t max_limit;
  // Gradient2 and Vegas: share of each new estimate, in (0, 1].
  double smoothing;
  // Gradient2: how much slower than the long-term RTT a sample may be, >= 1.
  double rtt_tolerance;
  // Gradient2: samples the long-term RTT averages over, >= 1.
  uint64_t long_window;
  // Gradient2: growth allowed per sample while latency holds.
  uint64_t queue_size;
  // Vegas: below `alpha x log10(limit)` queued the limit grows, >= 1.
  uint64_t alpha;
  // Vegas: above `beta x log10(limit)` queued it shrinks, >= alpha.
  uint64_t beta;
  // Vegas: the no-load RTT is re-taken every `probe_multiplier x limit` samples.
  uint64_t probe_multiplier;
  // AIMD: the limit's factor on a drop, in [0.5, 1).
  double backoff_ratio;
  // AIMD: a sample slower than this, ns, counts as a drop.
  uint64_t timeout_ns;
} weir_adaptive_limit_config;

// A decision: admitted or why not, and what a host needs for
// `Retry-After` and `X-RateLimit-*` headers.
typedef struct {
  // A `weir_reason` value; `WEIR_REASON_ADMITTED` (0) when admitted.
  uint32_t reason;
  // 1 when admitted, else 0 (the same as `reason == 0`, for convenience).
  uint32_t admitted;
  // When a retry could succeed, ns from now; 0 when admitted,
  // `UINT64_MAX` when never.
  uint64_t retry_after_ns;
  // Whole units (tokens, slots) left after this decision, where the
  // primitive has them; else 0.
  uint64_t remaining;
  // When the primitive is back to idle (full bucket), ns from now.
  uint64_t reset_after_ns;
} weir_decision;

// Held by an admitted request until `weir_adaptive_limit_release`.
// Release each permit once: a second release frees another request's slot.
typedef struct {
  // Requests in flight once this one was admitted, itself included.
  uint32_t in_flight;
  // When it was admitted (the `now` of the acquire), ns.
  uint64_t started_at;
} weir_adaptive_permit;

// What the limit has learned, and the decisions so far.
typedef struct {
  // The limit in force.
  uint64_t limit;
  // Requests admitted and not yet released.
  uint64_t in_flight;
  // The fractional estimate behind the limit.
  double estimate;
  // Gradient2's long-term RTT or Vegas's no-load RTT, ns (0 before any
  // sample and with AIMD).
  double baseline_rtt_ns;
  // Requests admitted so far.
  uint64_t admitted;
  // Requests refused at the limit so far.
  uint64_t refused;
} weir_adaptive_limit_stats;

// Backoff settings; `weir_backoff_config_default` gives Envoy's: base
// 25 ms, cap 250 ms, x2, full jitter, 3 attempts, advice capped at 30 s.
typedef struct {
  // Delay before the first retry, before jitter, ns, >= 1.
  uint64_t base_ns;
  // Largest delay, ns, >= base_ns.
  uint64_t cap_ns;
  // Growth per attempt, in [1, 1000].
  double multiplier;
  // A `weir_jitter` value.
  uint32_t jitter;
  // Attempts in all, the first call included, >= 1.
  uint32_t max_attempts;
  // Largest server-advised delay honoured, ns.
  uint64_t advised_cap_ns;
} weir_backoff_config;

// Whether to retry and after how long.
typedef struct {
  // Admitted, or why not (attempts exhausted, deadline too close,
  // budget exhausted).
  weir_decision decision;
  // How long to wait before the retry, ns; 0 when refused.
  uint64_t delay_ns;
} weir_retry_decision;

// Breaker settings; `weir_breaker_config_default` gives resilience4j's
// defaults (a count window of 100 calls, 100 minimum, 50% failures, slow
// calls 100% over 60 s, 60 s open, 10 probes).
typedef struct {
  // A `weir_breaker_window` value.
  uint32_t window;
  // Count window: calls remembered, 1..=8192.
  uint64_t window_calls;
  // Time window: its length, ns; a whole number of buckets of >= 1 ms.
  uint64_t window_ns;
  // Time window: buckets, 1..=128.
  uint64_t buckets;
  // Calls the window must hold before a rate can open the breaker.
  uint64_t minimum_calls;
  // Percent of failed calls that opens the breaker, [0, 100]; 0 off.
  double failure_rate_threshold;
  // Percent of slow calls that opens the breaker, [0, 100]; 0 off.
  double slow_call_rate_threshold;
  // A call longer than this, ns, is slow.
  uint64_t slow_call_ns;
  // Failures in a row that open the breaker; 0 off.
  uint64_t consecutive_failures;
  // The wait in open, ns.
  uint64_t open_ns;
  // Probes let through in half-open, 1..=30.
  uint64_t half_open_probes;
  // Longest half-open may wait for its probes, ns; 0 waits for them.
  uint64_t half_open_max_ns;
} weir_breaker_config;

// What an admitted call reports its outcome with. Copy it freely; report
// it once (a second report of the same permit is ignored).
typedef struct {
  // The permit as core encodes it.
  uint32_t bits;
  // 1 when the call is a half-open probe.
  uint32_t probe;
  // When it was admitted (the `now` of the acquire), ns.
  uint64_t started_at;
} weir_breaker_permit;

// A change of state: `moved` is 0 when the call changed nothing (then the
// other fields are 0). Counts are the window's (closed) or the probes'
// (half-open) that decided the move.
typedef struct {
  // 1 when the breaker moved.
  uint32_t moved;
  // A `weir_breaker_state` value: the state left.
  uint32_t from;
  // A `weir_breaker_state` value: the state entered.
  uint32_t to;
  // A `weir_breaker_cause` value.
  uint32_t cause;
  // Calls that reported an outcome.
  uint64_t calls;
  // Of those, failed.
  uint64_t failures;
  // Of those, slow.
  uint64_t slow;
  // Failures in a row (closed only).
  uint64_t consecutive_failures;
  // When it happened (the `now` of the call that caused it), ns.
  uint64_t at;
} weir_breaker_transition;

// A breaker's snapshot.
typedef struct {
  // A `weir_breaker_state` value.
  uint32_t state;
  // Closed: calls in the window.
  uint64_t calls;
  // Closed: failed calls in the window.
  uint64_t failures;
  // Closed: slow calls in the window.
  uint64_t slow;
  // Closed: failures in a row.
  uint64_t consecutive_failures;
  // Half-open: probe places taken (in flight plus reported).
  uint64_t probes_issued;
  // Half-open: probes that reported.
  uint64_t probes_returned;
  // Half-open: of those, failed.
  uint64_t probes_failed;
  // Half-open: of those, slow.
  uint64_t probes_slow;
  // Time left in open, ns; `UINT64_MAX` forced open; else 0.
  uint64_t open_left_ns;
  // Calls admitted so far.
  uint64_t admitted;
  // Calls refused as `WEIR_REASON_CIRCUIT_OPEN`.
  uint64_t refused_open;
  // Calls refused as `WEIR_REASON_CIRCUIT_HALF_OPEN`.
  uint64_t refused_half_open;
  // State changes lost because `weir_breaker_next_event` was not called
  // and the queue of 64 was full.
  uint64_t events_dropped;
} weir_breaker_stats;

// Retry budget settings; `weir_retry_budget_config_default` gives 10 %,
// 10 retries per second floor, a 10 s window of 10 buckets.
typedef struct {
  // Retries allowed per request, in [0, 1000] (0.1 = 10 %).
  double ratio;
  // Retries allowed per second of window regardless of traffic.
  uint64_t min_per_second;
  // Rolling window, ns, >= buckets.
  uint64_t window_ns;
  // Buckets in the window, 1..=64.
  uint64_t buckets;
} weir_retry_budget_config;

// Everything known when a call has just failed, for `weir_retry`.
typedef struct {
  // The attempt that failed: 1 for the first call.
  uint32_t attempt;
  // Non-zero when `advised_ns` holds the server's advised delay.
  uint32_t has_advised;
  // A uniform random u64 for the jitter (`weir_draw()`).
  uint64_t draw;
  // The delay before the attempt that failed (0 after the first call).
  uint64_t previous_delay_ns;
  // The server's advised delay (Retry-After, pushback), if `has_advised`.
  uint64_t advised_ns;
  // What is left of the caller's deadline, ns; `UINT64_MAX` for none.
  uint64_t deadline_left_ns;
  // Non-zero when the failed call's answer was final: a layer below
  // already decided against a retry (`x-weir-no-retry: 1`, a negative
  // `grpc-retry-pushback-ms`). Refused as `WEIR_REASON_NOT_RETRYABLE`
  // before anything else, spending no budget.
  uint32_t no_retry;
} weir_retry_ask;

// The outcome of `weir_concurrency_limiter_enqueue`.
typedef struct {
  // 0: a permit is held; 1: queued as `ticket`; 2: refused for `refusal`.
  uint32_t outcome;
  // A `weir_bulkhead_refusal` when refused.
  uint32_t refusal;
  // The waiter's ticket when queued (never 0).
  uint64_t ticket;
} weir_bulkhead_admission;

// A bulkhead's numbers now and since it was made.
typedef struct {
  uint64_t in_flight;
  uint64_t queued;
  uint64_t max_in_flight;
  uint64_t max_queue;
  uint64_t max_wait_ns;
  // Permits taken without waiting.
  uint64_t admitted;
  // Permits handed to a waiter.
  uint64_t admitted_after_wait;
  // Refusals indexed by `weir_bulkhead_refusal`.
  uint64_t refused[4];
} weir_bulkhead_stats;

// Deadline settings for calls to one callee.
typedef struct {
  // The callee's own timeout, ns, >= 1; `UINT64_MAX` for none.
  uint64_t timeout_ns;
  // Taken off the budget so the caller can still answer; < timeout_ns.
  uint64_t margin_ns;
} weir_deadline_config;

// The timeout to give a callee.
typedef struct {
  // `WEIR_REASON_ADMITTED`, or `WEIR_REASON_DEADLINE_EXCEEDED` when
  // nothing is left after the margin.
  uint32_t reason;
  // The callee's timeout, ns; 0 when exceeded.
  uint64_t timeout_ns;
} weir_deadline_answer;

// One event.
typedef struct {
  // A `weir_event_kind`.
  uint32_t kind;
  // A `weir_reason`: the refusal behind it (the first counted, or the
  // one that started the state).
  uint32_t reason;
  // When, ns: the decision that caused it.
  uint64_t at;
  // Refused: refusals counted into it. A state's end: refusals while it
  // lasted. A state's start: 1.
  uint64_t count;
  // A state's end: when the state began, ns. Otherwise `at`.
  uint64_t since;
} weir_event;

// A fleet-wide limit: `limit` tokens per `period_ns` across every node
// using Redis key `key`. Start from `weir_fleet_config_default`, then set
// `redis_url`, `key` and `limit`. Fields left at 0 where noted take a
// default derived from the others.
typedef struct {
  // NUL-terminated `redis://host:port/db` (or `redis+unix://`) URL;
  // copied by `weir_fleet_limiter_new`.
  const char *redis_url;
  // NUL-terminated, non-empty Redis key holding the global state; one
  // key per limit. Copied by `weir_fleet_limiter_new`.
  const char *key;
  // Tokens per period, fleet-wide, >= 1.
  uint64_t limit;
  // The period `limit` refers to, ns, >= 1000.
  uint64_t period_ns;
  // Tokens the global bucket may grant at once after a quiet spell;
  // 0: `max_batch`.
  uint64_t burst;
  // Nodes expected to share the limit, 1..=limit: sizes batches, and in
  // fallback each node admits `limit / nodes` per period on its own.
  uint64_t nodes;
  // The smallest batch worth a round trip; 0: `ceil(max_batch / 4)`.
  uint64_t min_batch;
  // The most tokens a node holds at once (bounds the overshoot);
  // 0: `ceil(limit / (10 * nodes))`.
  uint64_t max_batch;
  // A batch is sized to last this long at the node's recent rate, ns.
  uint64_t batch_period_ns;
  // Ask for more when the lease would last less than this, ns.
  uint64_t lead_ns;
  // A lease is spendable this long after it was asked for, ns.
  uint64_t lease_ttl_ns;
  // The longest a Redis call may take before the node falls back, ns, >= 1.
  uint64_t redis_timeout_ns;
  // While in fallback, how often to try Redis again, ns, >= 1.
  uint64_t retry_interval_ns;
  // Tokens the fallback share may admit at once; 0: 1.
  uint64_t fallback_burst;
  // How long the global state outlives its last use in Redis, ns.
  uint64_t key_idle_ttl_ns;
} weir_fleet_config;

// Counters for metrics; totals since the limiter was made, except
// `in_fallback` and `lease_left`.
typedef struct {
  // Requests admitted (from a lease or the fallback share).
  uint64_t admitted;
  // Requests rejected.
  uint64_t rejected;
  // Commands sent to Redis, failed ones included.
  uint64_t redis_calls;
  // Lease requests Redis answered.
  uint64_t leases;
  // Tokens Redis granted.
  uint64_t leased_tokens;
  // Times the node switched to its fallback share.
  uint64_t fallbacks;
  // Times the node went back to leasing after a fallback.
  uint64_t resumes;
  // Requests admitted on the fallback share.
  uint64_t fallback_admitted;
  // Tokens left in the current lease.
  uint64_t lease_left;
  // 1 while the node is on its fallback share (Redis unreachable).
  uint32_t in_fallback;
} weir_fleet_stats;

// Hedging settings; `weir_hedge_config_default` gives one hedge after the
// recent p95, within [1 ms, 1 s], trusted from 20 samples of a 10 s window
// in 4 sub-windows.
typedef struct {
  // Which quantile of recent latency is the delay, in (0, 1].
  double quantile;
  // Shortest delay, ns.
  uint64_t floor_ns;
  // Longest delay, and the delay until `min_samples`, ns; >= `floor_ns`.
  uint64_t ceiling_ns;
  // Hedges per request beyond the first copy, 1..=16.
  uint64_t max_hedges;
  // Samples the window needs before its quantile is trusted.
  uint64_t min_samples;
  // The latency window, ns (as `weir_quantiles_config`).
  uint64_t window_ns;
  // Its sub-windows, 1..=4.
  uint64_t sub_windows;
} weir_hedge_config;

// The answer about the next hedge.
typedef struct {
  // A `weir_hedge_action` value.
  uint32_t action;
  // A `weir_reason`: admitted unless stopped.
  uint32_t reason;
  // When the next hedge is due; `UINT64_MAX` once all are out.
  uint64_t due;
  // The delay in force, ns.
  uint64_t delay_ns;
} weir_hedge_decision;

// What a caller knows of one request, for `weir_hedger_ask` (the hedger's
// own estimator is not read).
typedef struct {
  // When the first copy was sent.
  uint64_t started_at;
  // Hedges already sent.
  uint64_t hedges_sent;
  // 1 when `quantile_ns` holds the estimate.
  uint32_t has_quantile;
  // The configured quantile of recent latency.
  uint64_t quantile_ns;
  // Samples behind it.
  uint64_t samples;
  // What is left of the deadline, ns; `UINT64_MAX` for none.
  uint64_t deadline_left_ns;
} weir_hedge_ask;

// Counters of a hedger.
typedef struct {
  // Requests begun.
  uint64_t requests;
  // Hedges sent.
  uint64_t hedges;
  // Hedges the retry budget refused.
  uint64_t refused_budget;
  // Hedges that could not start before the deadline.
  uint64_t refused_deadline;
} weir_hedger_stats;

// Detector settings; `weir_hot_keys_config_default` gives 1024 counters
// whose counts halve every 10 s.
typedef struct {
  // Counters: a multiple of 16, 16..=2^20.
  uint64_t capacity;
  // Counts halve at every multiple of this, ns; >= 1 ms, `UINT64_MAX`
  // never.
  uint64_t half_life_ns;
} weir_hot_keys_config;

// A 128-bit key-hash seed. Keep it secret; processes that share keyed
// state share it. Make one with `weir_hash_seed_from_secret`, or fill both
// halves from a random source of your own.
typedef struct {
  uint64_t k0;
  uint64_t k1;
} weir_hash_seed;

// One key of a `weir_hot_keys_top` answer.
typedef struct {
  // The hash the key is counted under.
  uint64_t hash;
  // At most this many requests (decayed).
  uint64_t count;
  // How much of `count` may belong to other keys.
  uint64_t error;
  // Where its bytes start in the caller's key buffer.
  size_t key_offset;
  // Its length; `SIZE_MAX` when the key was recorded by hash or did not
  // fit in the buffer.
  size_t key_len;
} weir_hot_key;

// A rate limit: `rate` tokens every `period_ns`, holding at most `burst`.
typedef struct {
  // Tokens added per period; 1..=period_ns.
  uint64_t rate;
  // The period `rate` refers to, ns (1000000000 for "per second").
  uint64_t period_ns;
  // Bucket size, >= 1.
  uint64_t burst;
} weir_limiter_config;

// Decisions made on one handle so far (by every thread), by reason:
// `count[r]` is how many had `weir_reason` `r`. The array is longer than
// the reasons there are today, so it keeps its size as reasons are added.
typedef struct {
  // Indexed by `weir_reason`; a reason never decided is 0.
  uint64_t count[32];
} weir_decision_counts;

// How a node plans its leases; `weir_lease_config_default` gives
// min 1, max 1000, batches of 100 ms, lead 10 ms, ttl 1 s.
typedef struct {
  // The smallest batch worth a round trip to the store, >= 1.
  uint64_t min_batch;
  // The most tokens a node holds at once, min_batch..=16777215.
  uint64_t max_batch;
  // A batch is sized to last this long at the recent rate, ns, >= 1.
  uint64_t batch_period_ns;
  // Ask again this long before the lease runs dry or expires, ns.
  uint64_t lead_ns;
  // Lease lifetime, ns; >= batch_period_ns + lead_ns, <= 2^50.
  uint64_t ttl_ns;
} weir_lease_config;

// The planner's answer.
typedef struct {
  // Tokens to ask the store for now; 0: do not ask now.
  uint64_t ask;
  // When to plan again if nothing else happens; `UINT64_MAX` for never.
  uint64_t next_at;
  // Ask again when the tokens left fall to this many.
  uint64_t low_water;
} weir_lease_plan;

// A spend's outcome and the tokens left.
typedef struct {
  // A `weir_spend_outcome` value.
  uint32_t outcome;
  // Tokens left (0 when expired).
  uint64_t left;
} weir_lease_spend;

// Picker settings; `weir_picker_config_default` gives tau 600 ms,
// force-pick after 3 s, success floor 0.5, CPU ceiling 900, bias 5 ms,
// initial latency 0.
typedef struct {
  // Time constant of the latency and success EWMAs, ns, >= 1.
  uint64_t tau_ns;
  // A node not picked for longer than this is picked once; 0 never.
  uint64_t force_pick_ns;
  // Below this success rate (in [0, 1]) a node is unhealthy.
  double success_floor;
  // Above this server CPU (permille, <= 1000) a node is unhealthy.
  uint64_t cpu_ceiling;
  // Added to the latency in the load; >= 1 when initial_latency_ns is 0.
  uint64_t latency_bias_ns;
  // A new node's latency before its first response, ns.
  uint64_t initial_latency_ns;
} weir_picker_config;

// A pick: the node's slot, the slot's generation (a `done` for an older
// one is ignored) and when it was picked. Hand it back to `weir_picker_done`.
typedef struct {
  // `WEIR_REASON_ADMITTED`, or `WEIR_REASON_NO_NODE` when no node is up
  // (then the other fields are 0).
  uint32_t reason;
  // Slot index of the node.
  uint32_t index;
  // Generation of the slot when picked.
  uint32_t gen;
  // 1 when force-picked (idle too long) rather than chosen on load.
  uint32_t forced;
  // The `now` of the pick, for `weir_picker_done_now`'s latency.
  uint64_t picked_at;
} weir_pick;

// A node's stats.
typedef struct {
  // The host's id of the node.
  uint64_t id;
  // A `weir_node_state` value.
  uint32_t state;
  // Generation of the slot.
  uint32_t gen;
  // Requests picked and not yet done.
  uint64_t in_flight;
  // Latency EWMA, ns.
  double latency_ns;
  // Success EWMA in [0, 1].
  double success;
  // Last CPU reported, permille.
  uint64_t cpu_permille;
  // When it was last picked.
  uint64_t last_pick;
} weir_node_stats;

// A header: bytes, not NUL-terminated.
typedef struct {
  const uint8_t *name;
  size_t name_len;
  const uint8_t *value;
  size_t value_len;
} weir_header;

// A request as the policy reads it. Strings are bytes with lengths; a
// NULL `client_address` or `key` means none.
typedef struct {
  const uint8_t *method;
  size_t method_len;
  // The path as sent, query included.
  const uint8_t *path;
  size_t path_len;
  const weir_header *headers;
  size_t headers_len;
  // `ip`, `ip:port` or `[v6]:port`.
  const uint8_t *client_address;
  size_t client_address_len;
  // The value `"key": "caller"` counts under (a user id, an API key).
  const uint8_t *key;
  size_t key_len;
} weir_request;

// A verdict's numbers.
typedef struct {
  bool admitted;
  // 200 when admitted, else the status of the answer to send.
  uint32_t status;
  // Headers of the answer (refused) or for the response (admitted).
  size_t headers;
  // Headers the engine set on the request sent on.
  size_t request_headers;
  bool has_deadline;
  // The time the upstream gets, from a `deadline` rule.
  uint64_t deadline_ns;
  // A learner waits for `weir_verdict_report`.
  bool pending;
} weir_verdict_info;

// How a checked request ended.
typedef struct {
  // The HTTP status; 0: no answer came (a reset, a timeout).
  uint32_t status;
  bool has_grpc_status;
  uint32_t grpc_status;
  // Without it, the report's `now` ends the request.
  bool has_latency;
  uint64_t latency_ns;
  bool has_cpu;
  // The upstream's CPU header, permille.
  uint64_t cpu;
} weir_outcome;

// One counter; `name` is borrowed from its snapshot until `weir_counters_free`.
typedef struct {
  const uint8_t *name;
  size_t name_len;
  uint64_t value;
} weir_counter;

// Window settings; `weir_quantiles_config_default` gives 10 s in 4
// sub-windows.
typedef struct {
  // How far back the estimate reaches, ns: a multiple of `sub_windows`,
  // at least 1 ms per sub-window.
  uint64_t window_ns;
  // Sub-windows the window rotates through, 1..=4.
  uint64_t sub_windows;
} weir_quantiles_config;

// One quantile read.
typedef struct {
  // 1 when the window holds samples and `value_ns` is the quantile.
  uint32_t found;
  // The quantile, ns (0 when not found).
  uint64_t value_ns;
  // Samples in the window.
  uint64_t count;
} weir_quantile_reading;

// One non-empty bucket of the window, for metrics.
typedef struct {
  // Smallest value the bucket holds.
  uint64_t lower;
  // One past its largest value; `UINT64_MAX` for the last bucket.
  uint64_t upper;
  // Samples in it.
  uint64_t count;
} weir_quantile_bucket;

// Shedder settings; `weir_shedder_config_default` fills in the defaults
// (10 s window of 100 buckets, CPU threshold 800 permille, decay 0.95,
// cool-off 1 s, no queue cap).
typedef struct {
  // Rolling window, ns; a multiple of `buckets`, buckets of >= 1 ms.
  uint64_t window_ns;
  // Buckets in the window, 1..=128.
  uint64_t buckets;
  // CPU (permille) at or above which shedding may start, 1..=1000.
  uint64_t cpu_threshold;
  // Weight of the previous smoothed CPU per sample, in [0, 1).
  double cpu_decay;
  // How long after a shed the in-flight estimate stays enforced, ns.
  uint64_t cool_off_ns;
  // Hard cap on requests in flight; 0 turns it off.
  uint64_t max_queue;
} weir_shedder_config;

// What a shedder knows at one instant.
typedef struct {
  // Requests admitted and not yet done.
  uint64_t in_flight;
  // Smoothed CPU, permille.
  double cpu;
  // Most requests completed in one finished bucket of the window (>= 1).
  uint64_t max_pass;
  // Shortest response time in the window, ns (1 ms if none).
  uint64_t min_rt_ns;
  // The in-flight estimate enforced under CPU pressure.
  uint64_t max_in_flight;
  // 1 while a cool-off runs.
  uint32_t cooling_off;
} weir_shedder_stats;

// One admitted request's end.
typedef struct {
  // When the request was admitted; written by the library.
  uint64_t started_at;
  // When it ended, in the unit `how` names.
  uint64_t ended;
  // `WEIR_SHEDDER_ENDED_AT_NS`, `WEIR_SHEDDER_ENDED_AT_TICKS` or
  // `WEIR_SHEDDER_CANCELLED`.
  uint64_t how;
} weir_shedder_slot;

// One bank of `weir_shedder_slots`.
typedef struct {
  // Bit `i`: slot `i` is taken (by a request, or by an end not yet applied).
  uint64_t owned;
  // Bit `i`: slot `i` holds an end to apply.
  uint64_t ready;
  // The ends.
  weir_shedder_slot slot[WEIR_SHEDDER_SLOTS];
} weir_shedder_slot_bank;

// Ends handed to a shedder without a call. Zero it before first use; use
// it with one shedder only, and keep it in place while that shedder is
// used. Every access the caller makes to `owned` and `ready` is atomic.
//
// `held`: an acquire through these slots gives the admitted request slot
// `i` (and writes its `started_at`). To end it: store `ended` and `how`,
// then OR `1 << i` into `held.ready` with release order (e.g.
// `__atomic_fetch_or(&s->held.ready, 1ull << i, __ATOMIC_RELEASE)`); the
// slot is not the caller's after that.
//
// `spare`: a request admitted without a held slot (`WEIR_SHEDDER_SLOTS`)
// can end here: claim a clear bit `i` of `spare.owned` by compare-exchange
// (acquire order), store `started_at`, `ended` and `how` in `spare.slot[i]`,
// then OR `1 << i` into `spare.ready` (release). With every bit set, end it
// with `weir_shedder_done` instead. The next acquire applies both banks'
// ready ends before it decides, and frees their slots.
typedef struct {
  // Slots held by admitted requests until they end.
  weir_shedder_slot_bank held;
  // Slots for the ends of requests admitted without a held one.
  weir_shedder_slot_bank spare;
} weir_shedder_slots;

// An acquire through slots: the decision, when it was made, and the
// admitted request's slot.
typedef struct {
  // The decision.
  weir_decision decision;
  // When it was made (the `now` it was made at).
  uint64_t started_at;
  // The admitted request's held slot; `WEIR_SHEDDER_SLOTS` when refused
  // or when every held slot was taken (then end it through a spare slot,
  // or with `weir_shedder_done`, from `started_at`).
  uint32_t slot;
} weir_shedder_admission;

// The answer to `begin`: the role and the flight's slot and generation
// (the host may key its result store on them).
typedef struct {
  // A `weir_flight_role` value.
  uint32_t role;
  // Slot index of the flight (0 when the table is full).
  uint32_t slot;
  // The flight's generation in its slot.
  uint32_t gen;
} weir_flight;

// Throttle settings; `weir_throttle_config_default` gives k 2.0, a 10 s
// window of 40 buckets, 20 minimum requests, max refusal probability 0.9.
typedef struct {
  // Requests may run up to `k` times the accepts before any is refused; >= 1.
  double k;
  // Rolling window, ns; a multiple of `buckets`, buckets of >= 1 ms.
  uint64_t window_ns;
  // Buckets in the window, 1..=128.
  uint64_t buckets;
  // Below this many requests in the window nothing is refused.
  uint64_t min_requests;
  // Ceiling on the refusal probability, in [0, 1].
  double max_reject_probability;
} weir_throttle_config;

// The window's counts and the refusal probability they give.
typedef struct {
  // Requests in the window (admitted and refused).
  uint64_t requests;
  // Requests the backend accepted.
  uint64_t accepts;
  // The refusal probability a request would face now.
  double reject_probability;
} weir_throttle_stats;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

// The snake_case name of reason `code` (`"rate_limited"`), as used in
// metrics, logs and the conformance vectors; `"unknown"` for a code that is
// not a reason. Never NULL; static.
const char *weir_reason_str(uint32_t code);

// Nanoseconds on `CLOCK_MONOTONIC`'s scale: the `now` every `_now`
// function reads and the clock to pass to the explicit-time functions.
// Read from the CPU's invariant time-stamp counter (a few ns) where there
// is one, else from the kernel; anchored to `CLOCK_MONOTONIC` once per
// process, so processes on one host start out agreeing on it and then
// drift apart by the calibration error (a few ppm; shared limiters use
// `weir_shared_limiter_now` instead). Thread-safe.
uint64_t weir_now(void);

// The stable, unseeded 64-bit hash of `len` bytes at `key` that every weir
// runtime gives a key of an unseeded table (FNV-1a with a final
// avalanche). Anyone can compute it: tables whose callers choose keys
// want `weir_hash_key_seeded`. `key` may be NULL when `len` is 0; NULL
// with `len > 0` hashes as the empty key. Thread-safe.
//
// # Safety
// When `len > 0` and `key` is not NULL, `key` points to `len` readable bytes.
uint64_t weir_hash_key(const uint8_t *key, size_t len);

// A uniform random `u64` from a per-thread generator (not for secrets):
// the `draw` the explicit-time throttle, picker and backoff functions take.
// Thread-safe.
uint64_t weir_draw(void);

// Makes a sampler. It reads nothing until the first
// `weir_cpu_sampler_sample`.
//
// # Safety
// `out` is NULL or writable for one pointer.
weir_status weir_cpu_sampler_new(weir_cpu_sampler **out);

// CPU use since the previous call, permille (0..=1000 of what this process
// may use). `WEIR_STATUS_UNAVAILABLE` on the first call (nothing to compare
// with yet) or when the source cannot be read; `*permille` is then unchanged.
//
// # Safety
// `sampler` is NULL or a live sampler; `permille` is NULL or writable.
weir_status weir_cpu_sampler_sample(const weir_cpu_sampler *sampler, uint64_t *permille);

// Frees `*sampler` and sets it to NULL; NULL or an already freed (NULLed)
// variable is a no-op.
//
// # Safety
// `sampler` is NULL or points to NULL or to a live sampler no other thread uses.
void weir_cpu_sampler_free(weir_cpu_sampler **sampler);

// The name of status `code` (`"ok"`, `"invalid_config"`, ...), or
// `"unknown"`. Never NULL; the string is static.
const char *weir_status_str(uint32_t code);

// The message of the last error on this thread, e.g. `"burst must be >= 1,
// got 0"`; `""` if none. The pointer stays valid until the next failing
// call on this thread. Never NULL.
const char *weir_last_error_message(void);

// The config field the last `InvalidConfig` on this thread named
// (`"burst"`); `""` if none. Valid as `weir_last_error_message`.
const char *weir_last_error_field(void);

// The rule that field broke, phrased to follow "must be" (`">= 1"`);
// `""` if none. Valid as `weir_last_error_message`.
const char *weir_last_error_rule(void);

// The version of the library actually linked, `"MAJOR.MINOR.PATCH"`;
// compare it with the `WEIR_VERSION_*` macros of the header compiled
// against. Static; never NULL.
const char *weir_version(void);

// Writes `algorithm`'s defaults to `out` (Gradient2 and AIMD: limit 20 in
// [20, 200]; Vegas: 20 in [1, 1000]). An unknown algorithm is
// `WEIR_STATUS_INVALID_ARGUMENT`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_adaptive_limit_config_default(uint32_t algorithm, weir_adaptive_limit_config *out);

// Makes a limit at `initial_limit`. On `WEIR_STATUS_INVALID_CONFIG` the
// last error names the field and rule; an unknown `algorithm` is
// `WEIR_STATUS_INVALID_ARGUMENT`.
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_adaptive_limit_new(const weir_adaptive_limit_config *config,
                                    weir_adaptive_limit **out);

// Takes a slot if fewer than the limit are in flight (`out->admitted`);
// refused, the reason is `WEIR_REASON_CONCURRENCY_LIMITED`. `now` is only
// remembered in the permit, for `weir_adaptive_limit_release_now`.
//
// # Safety
// `limit` is NULL or live; `out` and `permit` are NULL or writable.
weir_status weir_adaptive_limit_acquire(const weir_adaptive_limit *limit,
                                        uint64_t now,
                                        weir_decision *out,
                                        weir_adaptive_permit *permit);

// `weir_adaptive_limit_acquire` at `weir_now()`.
//
// # Safety
// As `weir_adaptive_limit_acquire`.
weir_status weir_adaptive_limit_acquire_now(const weir_adaptive_limit *limit,
                                            weir_decision *out,
                                            weir_adaptive_permit *permit);

// Ends the request of `permit`, which took `rtt_ns` and ended as
// `outcome` (a `weir_adaptive_outcome`); `*new_limit` (NULL: not wanted)
// is the limit now in force.
//
// # Safety
// `limit` is NULL or live; `permit` is NULL or readable; `new_limit` is
// NULL or writable.
weir_status weir_adaptive_limit_release(const weir_adaptive_limit *limit,
                                        const weir_adaptive_permit *permit,
                                        uint64_t rtt_ns,
                                        uint32_t outcome,
                                        uint64_t *new_limit);

// `weir_adaptive_limit_release` with the RTT measured now: the time since
// `permit->started_at` on `weir_now()`.
//
// # Safety
// As `weir_adaptive_limit_release`.
weir_status weir_adaptive_limit_release_now(const weir_adaptive_limit *limit,
                                            const weir_adaptive_permit *permit,
                                            uint32_t outcome,
                                            uint64_t *new_limit);

// The limit, what is in flight, what the algorithm learned, the decisions.
//
// # Safety
// `limit` is NULL or live; `out` is NULL or writable.
weir_status weir_adaptive_limit_snapshot(const weir_adaptive_limit *limit,
                                         weir_adaptive_limit_stats *out);

// Frees `*limit` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `limit` is NULL or points to NULL or to a live limit no other thread is
// using.
void weir_adaptive_limit_free(weir_adaptive_limit **limit);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_backoff_config_default(weir_backoff_config *out);

// Makes a backoff policy.
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_backoff_new(const weir_backoff_config *config, weir_backoff **out);

// The delay before retry number `retry` (1 for the first retry), jittered
// with `draw`; `previous` is the delay before the retry before (0 for the
// first; only decorrelated jitter reads it). Always in [0, cap_ns].
//
// # Safety
// `backoff` is NULL or live; `delay_ns` is NULL or writable.
weir_status weir_backoff_delay(const weir_backoff *backoff,
                               uint32_t retry,
                               uint64_t draw,
                               uint64_t previous,
                               uint64_t *delay_ns);

// After attempt number `attempt` (1 for the first call) failed: the delay
// before the next, or `WEIR_REASON_ATTEMPTS_EXHAUSTED`. With `has_advised`,
// `advised_ns` (the server's Retry-After or pushback) replaces the computed
// delay, capped at advised_cap_ns.
//
// # Safety
// `backoff` is NULL or live; `out` is NULL or writable.
weir_status weir_backoff_next(const weir_backoff *backoff,
                              uint32_t attempt,
                              uint64_t draw,
                              uint64_t previous,
                              bool has_advised,
                              uint64_t advised_ns,
                              weir_retry_decision *out);

// Frees `*backoff` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `backoff` is NULL or points to NULL or to a live policy no other thread uses.
void weir_backoff_free(weir_backoff **backoff);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_breaker_config_default(weir_breaker_config *out);

// Makes a closed breaker. On `WEIR_STATUS_INVALID_CONFIG` the last error
// names the field and rule; an unknown `window` is
// `WEIR_STATUS_INVALID_ARGUMENT`.
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_breaker_new(const weir_breaker_config *config, weir_breaker **out);

// Asks to make a call at `now`. When admitted (`out->admitted`), report
// how it went with `weir_breaker_record` (or give the permit back with
// `weir_breaker_release`); refused, `out->retry_after_ns` is the time left
// in open. `transition` may be NULL; else it says whether this call moved
// the breaker (open -> half-open).
//
// # Safety
// `breaker` is NULL or live; `out` and `permit` are NULL or writable;
// `transition` is NULL or writable.
weir_status weir_breaker_acquire(const weir_breaker *breaker,
                                 uint64_t now,
                                 weir_decision *out,
                                 weir_breaker_permit *permit,
                                 weir_breaker_transition *transition);

// `weir_breaker_acquire` at `weir_now()`.
//
// # Safety
// As `weir_breaker_acquire`.
weir_status weir_breaker_acquire_now(const weir_breaker *breaker,
                                     weir_decision *out,
                                     weir_breaker_permit *permit,
                                     weir_breaker_transition *transition);

// Reports the call of `permit` at `now`: `failed` (0 or 1) and how long it
// took. `transition` (NULL: not wanted) says whether it moved the breaker.
//
// # Safety
// `breaker` is NULL or live; `permit` is NULL or readable; `transition` is
// NULL or writable.
weir_status weir_breaker_record(const weir_breaker *breaker,
                                uint64_t now,
                                const weir_breaker_permit *permit,
                                bool failed,
                                uint64_t duration_ns,
                                weir_breaker_transition *transition);

// `weir_breaker_record` at `weir_now()`, the duration being the time since
// `permit->started_at`.
//
// # Safety
// As `weir_breaker_record`.
weir_status weir_breaker_record_now(const weir_breaker *breaker,
                                    const weir_breaker_permit *permit,
                                    bool failed,
                                    weir_breaker_transition *transition);

// Gives back a permit whose call does not count (cancelled, or an error
// the caller ignores): a half-open probe frees its place. `*released` is
// 0 when the permit was stale or already reported.
//
// # Safety
// `breaker` is NULL or live; `permit` is NULL or readable; `released` is
// NULL or writable.
weir_status weir_breaker_release(const weir_breaker *breaker,
                                 const weir_breaker_permit *permit,
                                 bool *released);

// Holds the breaker open (refusing with `retry_after_ns` = `UINT64_MAX`)
// until `weir_breaker_reset`.
//
// # Safety
// `breaker` is NULL or live; `transition` is NULL or writable.
weir_status weir_breaker_force_open(const weir_breaker *breaker,
                                    uint64_t now,
                                    weir_breaker_transition *transition);

// Lets every call through and records nothing until `weir_breaker_reset`.
//
// # Safety
// As `weir_breaker_force_open`.
weir_status weir_breaker_disable(const weir_breaker *breaker,
                                 uint64_t now,
                                 weir_breaker_transition *transition);

// Closes the breaker with an empty window, from any state.
//
// # Safety
// As `weir_breaker_force_open`.
weir_status weir_breaker_reset(const weir_breaker *breaker,
                               uint64_t now,
                               weir_breaker_transition *transition);

// Takes the oldest state change not yet taken (the breaker keeps the last
// 64), for delivering events off the hot path: call it after a call whose
// transition says `moved`. `WEIR_STATUS_NOT_FOUND` when there is none.
//
// # Safety
// `breaker` is NULL or live; `out` is NULL or writable.
weir_status weir_breaker_next_event(const weir_breaker *breaker, weir_breaker_transition *out);

// The snapshot at `now`.
//
// # Safety
// `breaker` is NULL or live; `out` is NULL or writable.
weir_status weir_breaker_snapshot(const weir_breaker *breaker,
                                  uint64_t now,
                                  weir_breaker_stats *out);

// The name of `weir_breaker_state` `code` (`"half_open"`), or `"unknown"`.
// Never NULL; static.
const char *weir_breaker_state_str(uint32_t code);

// The name of `weir_breaker_cause` `code` (`"failure_rate"`), or
// `"unknown"`. Never NULL; static.
const char *weir_breaker_cause_str(uint32_t code);

// Frees `*breaker` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `breaker` is NULL or points to NULL or to a live breaker no other
// thread is using.
void weir_breaker_free(weir_breaker **breaker);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_retry_budget_config_default(weir_retry_budget_config *out);

// Makes an empty budget (the floor is available at once).
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_retry_budget_new(const weir_retry_budget_config *config, weir_retry_budget **out);

// Counts one original request (not a retry) at `now`.
//
// # Safety
// `budget` is NULL or live.
weir_status weir_retry_budget_deposit(const weir_retry_budget *budget, uint64_t now);

// `weir_retry_budget_deposit` at `weir_now()`.
//
// # Safety
// As `weir_retry_budget_deposit`.
weir_status weir_retry_budget_deposit_now(const weir_retry_budget *budget);

// Asks to retry after `delay_ns` with `deadline_left_ns` of the caller's
// deadline left (`UINT64_MAX` for none). Admitted retries are counted;
// `remaining` is the retries still allowed.
//
// # Safety
// `budget` is NULL or live; `out` is NULL or writable.
weir_status weir_retry_budget_withdraw(const weir_retry_budget *budget,
                                       uint64_t now,
                                       uint64_t delay_ns,
                                       uint64_t deadline_left_ns,
                                       weir_decision *out);

// The window's `requests` and `retries` at `now`.
//
// # Safety
// `budget` is NULL or live; `requests` and `retries` are NULL or writable.
weir_status weir_retry_budget_snapshot(const weir_retry_budget *budget,
                                       uint64_t now,
                                       uint64_t *requests,
                                       uint64_t *retries);

// Frees `*budget` and sets it to NULL; NULL is a no-op. Hedgers sharing
// the budget keep spending it: it is released with the last of them.
//
// # Safety
// `budget` is NULL or points to NULL or to a live budget no other thread uses.
void weir_retry_budget_free(weir_retry_budget **budget);

// Decides a retry at `now`: a final answer (`no_retry`) and the attempt
// limit first, then the backoff delay against the deadline, and only then
// the budget, so a retry that could never happen does not spend it. A
// NULL `budget` means the policy has no shared budget: only the attempt
// limit and the deadline can refuse.
//
// # Safety
// `backoff` and `budget` are NULL or live; `ask` is NULL or readable;
// `out` is NULL or writable.
weir_status weir_retry(const weir_backoff *backoff,
                       const weir_retry_budget *budget,
                       uint64_t now,
                       const weir_retry_ask *ask,
                       weir_retry_decision *out);

// `weir_retry` at `weir_now()` with `weir_draw()` (the ask's `draw` is
// ignored).
//
// # Safety
// As `weir_retry`.
weir_status weir_retry_now(const weir_backoff *backoff,
                           const weir_retry_budget *budget,
                           const weir_retry_ask *ask,
                           weir_retry_decision *out);

// Makes a limiter allowing `max_in_flight` (>= 1) permits at once, with the
// default queue and maximum wait.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_concurrency_limiter_new(uint64_t max_in_flight, weir_concurrency_limiter **out);

// Makes a limiter allowing `max_in_flight` permits at once, at most
// `max_queue` (0 to 2^20) waiters, each waiting at most `max_wait_ns`
// (1 ns to 24 h); `WEIR_BULKHEAD_DEFAULT` for either takes weir's default.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_concurrency_limiter_new_queued(uint64_t max_in_flight,
                                                uint64_t max_queue,
                                                uint64_t max_wait_ns,
                                                weir_concurrency_limiter **out);

// Takes a permit if one is free and nobody waits; never queues
// (`remaining` = permits left). An admitted caller must release once.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_concurrency_limiter_acquire(const weir_concurrency_limiter *limiter,
                                             weir_decision *out);

// Takes a permit if one is free and nobody waits, else queues the caller's
// `token` behind the other waiters if there is room. A queued caller waits
// until `_release_next` names its token, and calls `_cancel` with its
// ticket when it gives up (at its maximum wait or when cancelled).
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_concurrency_limiter_enqueue(const weir_concurrency_limiter *limiter,
                                             uint64_t token,
                                             weir_bulkhead_admission *out);

// Gives a permit back. With someone waiting the permit goes to the oldest
// waiter: `*handed_off` is true and `*token` is that waiter's token, which
// the caller must wake. `WEIR_STATUS_NOT_FOUND` (and no change) when
// nothing was in flight.
//
// # Safety
// `limiter` is NULL or live; `handed_off` and `token` are NULL or writable.
weir_status weir_concurrency_limiter_release_next(const weir_concurrency_limiter *limiter,
                                                  bool *handed_off,
                                                  uint64_t *token);

// Gives a permit back if nobody waits, never taking a lock (for callers
// whose fastest path may not block): `WEIR_STATUS_UNAVAILABLE` and no
// change when someone waits (call `_release_next` then);
// `WEIR_STATUS_NOT_FOUND` when nothing was in flight.
//
// # Safety
// `limiter` is NULL or live.
weir_status weir_concurrency_limiter_release_fast(const weir_concurrency_limiter *limiter);

// Gives a permit back when no caller of this limiter waits through
// `_enqueue` (a waiter handed the permit here is never told; use
// `_release_next` then). `WEIR_STATUS_NOT_FOUND` (and no change) when
// nothing was in flight: a release without an acquire.
//
// # Safety
// `limiter` is NULL or live.
weir_status weir_concurrency_limiter_release(const weir_concurrency_limiter *limiter);

// Takes `ticket` out of the queue, counted as refused for `why`
// (`WEIR_BULKHEAD_REFUSAL_WAIT_TIMEOUT` or `_CANCELLED`): `*removed` true.
// `*removed` false means the ticket is not waiting: its permit was handed
// over already, so the caller holds it (and wakes on its token) and must
// release it if it no longer wants it.
//
// # Safety
// `limiter` is NULL or live; `removed` is NULL or writable.
weir_status weir_concurrency_limiter_cancel(const weir_concurrency_limiter *limiter,
                                            uint64_t ticket,
                                            uint32_t why,
                                            bool *removed);

// Permits in flight now.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_concurrency_limiter_in_flight(const weir_concurrency_limiter *limiter,
                                               uint64_t *out);

// The numbers now and the counters so far.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_concurrency_limiter_stats(const weir_concurrency_limiter *limiter,
                                           weir_bulkhead_stats *out);

// Frees `*limiter` and sets it to NULL; NULL is a no-op. No waiter may be
// queued (its caller would never be woken).
//
// # Safety
// `limiter` is NULL or points to NULL or to a live limiter no other thread uses.
void weir_concurrency_limiter_free(weir_concurrency_limiter **limiter);

// Makes a deadline policy.
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_deadline_new(const weir_deadline_config *config, weir_deadline **out);

// The timeout to give the callee at `now`. With `has_deadline`, `deadline`
// is the instant (same clock as `now`) by which the caller must be done.
//
// # Safety
// `deadline_policy` is NULL or live; `out` is NULL or writable.
weir_status weir_deadline_budget(const weir_deadline *deadline_policy,
                                 uint64_t now,
                                 bool has_deadline,
                                 uint64_t deadline,
                                 weir_deadline_answer *out);

// Frees `*deadline_policy` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `deadline_policy` is NULL or points to NULL or to a live policy no other
// thread uses.
void weir_deadline_free(weir_deadline **deadline_policy);

// Parses a `grpc-timeout` value (1-8 digits and one of `H M S m u n`) into
// `*ns`. `WEIR_STATUS_INVALID_HEADER` with the reason as the last error.
//
// # Safety
// `value` points to `len` readable bytes (may be NULL when `len` is 0);
// `ns` is NULL or writable.
weir_status weir_parse_grpc_timeout(const uint8_t *value, size_t len, uint64_t *ns);

// Parses a plain milliseconds header (`grpc-retry-pushback-ms`) into `*ns`.
// A sign is refused (a negative pushback means "do not retry").
//
// # Safety
// As `weir_parse_grpc_timeout`.
weir_status weir_parse_millis(const uint8_t *value, size_t len, uint64_t *ns);

// Parses `Retry-After` (delay-seconds or an IMF-fixdate compared with
// `now_unix_s`, the wall clock in Unix seconds) into a delay `*ns`.
//
// # Safety
// As `weir_parse_grpc_timeout`.
weir_status weir_parse_retry_after(const uint8_t *value,
                                   size_t len,
                                   uint64_t now_unix_s,
                                   uint64_t *ns);

// Writes `ns` as a `grpc-timeout` value into `buf` (at most 9 bytes, not
// NUL-terminated), rounded up to the finest unit that fits 8 digits.
// `WEIR_STATUS_BUFFER_TOO_SMALL` if `buf_len` is too short.
//
// # Safety
// `buf` is NULL or writable for `buf_len` bytes; `written` is NULL or writable.
weir_status weir_format_grpc_timeout(uint64_t ns, uint8_t *buf, size_t buf_len, size_t *written);

// Writes `ns` in whole milliseconds, rounded up, into `buf` (at most 17
// bytes, not NUL-terminated).
//
// # Safety
// As `weir_format_grpc_timeout`.
weir_status weir_format_millis(uint64_t ns, uint8_t *buf, size_t buf_len, size_t *written);

// The shedder's event queue, valid until the shedder is freed.
//
// # Safety
// `shedder` is NULL or live; `out` is NULL or writable.
weir_status weir_shedder_events(const weir_shedder *shedder, const weir_events **out);

// The throttle's event queue, valid until the throttle is freed.
//
// # Safety
// `throttle` is NULL or live; `out` is NULL or writable.
weir_status weir_throttle_events(const weir_throttle *throttle, const weir_events **out);

// The budget's event queue, valid until the budget is freed.
//
// # Safety
// `budget` is NULL or live; `out` is NULL or writable.
weir_status weir_retry_budget_events(const weir_retry_budget *budget, const weir_events **out);

// The limiter's event queue, valid until the limiter is freed.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_keyed_limiter_events(const weir_keyed_limiter *limiter, const weir_events **out);

// The word that counts the queued events, for a caller that looks after
// each decision without a call: read it with an atomic load (acquire);
// not zero means `weir_events_drain` has something. NULL for NULL.
//
// # Safety
// `events` is NULL or from a live handle.
const uint64_t *weir_events_pending_word(const weir_events *events);

// Moves up to `capacity` queued events, oldest first, into `buffer` and
// writes how many to `written` (0 when none are queued).
//
// # Safety
// `events` is NULL or from a live handle; `buffer` is writable for
// `capacity` events (may be NULL when `capacity` is 0); `written` is NULL
// or writable.
weir_status weir_events_drain(const weir_events *events,
                              weir_event *buffer,
                              size_t capacity,
                              size_t *written);

// Events lost because nobody drained a full queue (64 kept).
//
// # Safety
// `events` is NULL or from a live handle; `out` is NULL or writable.
weir_status weir_events_dropped(const weir_events *events, uint64_t *out);

// The kind's name (`"refused"`, `"dropping_started"`, ...); `"unknown"`
// for a code that is not a kind. Never NULL; static.
const char *weir_event_kind_str(uint32_t kind);

// Writes the defaults to `out`: `redis_url` and `key` NULL, `limit` 0
// (all three must be set), period 1 s, one node, batches of 100 ms, lead
// 10 ms, lease ttl 1 s, Redis timeout 50 ms, retry every 50 ms, key idle
// ttl 60 s, the derived fields 0.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_fleet_config_default(weir_fleet_config *out);

// Makes a fleet limiter and starts its refill thread. Redis is not
// contacted here, and Redis being down is not an error: the node starts
// on its fallback share and leases once Redis answers.
// `WEIR_STATUS_INVALID_CONFIG` names the field (`redis_url` for a NULL,
// non-UTF-8 or unparsable URL); `WEIR_STATUS_OUT_OF_MEMORY` when the
// thread cannot be started. `*out` is untouched on failure.
//
// # Safety
// `config` is NULL or readable, and its `redis_url` and `key` are NULL or
// NUL-terminated; `out` is NULL or writable for one pointer.
weir_status weir_fleet_limiter_new(const weir_fleet_config *config, weir_fleet_limiter **out);

// Asks for `cost` tokens now (on the limiter's own clock, which its lease
// expiries are on; there is no explicit-time variant). Never waits on
// Redis: answers from the node's lease, or while Redis is unreachable its
// fallback share; never fails open. A cost above `max_batch` is refused
// with `WEIR_REASON_COST_EXCEEDS_BURST`.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_fleet_limiter_acquire(const weir_fleet_limiter *limiter,
                                       uint64_t cost,
                                       weir_decision *out);

// The limiter's counters.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_fleet_limiter_stats(const weir_fleet_limiter *limiter, weir_fleet_stats *out);

// The documented overshoot bound of this limiter's config: in any window
// of one period the fleet admits at most `limit * (1 + bound)` while no
// more than `nodes` nodes share the key. `max_batch` (may be NULL) gets
// the largest batch this node leases, which is also the largest cost it
// can admit.
//
// # Safety
// `limiter` is NULL or live; `bound` is NULL or writable; `max_batch` is
// NULL or writable.
weir_status weir_fleet_limiter_bound(const weir_fleet_limiter *limiter,
                                     double *bound,
                                     uint64_t *max_batch);

// Stops the refill thread (after the Redis call in flight, if any, which
// `redis_timeout_ns` bounds), frees `*limiter` and sets it to NULL; NULL
// or an already freed (NULLed) variable is a no-op.
//
// # Safety
// `limiter` is NULL or points to NULL or to a live limiter no other thread uses.
void weir_fleet_limiter_free(weir_fleet_limiter **limiter);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_hedge_config_default(weir_hedge_config *out);

// Makes a hedger with an empty latency window and a budget of its own.
//
// # Safety
// `config` and `budget` are NULL or readable; `out` is NULL or writable.
weir_status weir_hedger_new(const weir_hedge_config *config,
                            const weir_retry_budget_config *budget,
                            weir_hedger **out);

// Makes a hedger with an empty latency window whose hedges spend `budget`,
// the budget the same operation's retries (`weir_retry`) spend, so hedges
// and retries are bounded together. The hedger holds the budget:
// `weir_retry_budget_free` may come first. `weir_hedger_begin` deposits
// the request in that budget; do not deposit it again.
//
// # Safety
// `config` is NULL or readable; `budget` is NULL or live; `out` is NULL or
// writable.
weir_status weir_hedger_new_with_budget(const weir_hedge_config *config,
                                        const weir_retry_budget *budget,
                                        weir_hedger **out);

// Begins a request at `now`: one deposit in the budget. Writes its start
// (`now`) to `started_at`.
//
// # Safety
// `hedger` is NULL or live; `started_at` is NULL or writable.
weir_status weir_hedger_begin(const weir_hedger *hedger, uint64_t now, uint64_t *started_at);

// `weir_hedger_begin` at `weir_now()`.
//
// # Safety
// As `weir_hedger_begin`.
weir_status weir_hedger_begin_now(const weir_hedger *hedger, uint64_t *started_at);

// Decides the next hedge of a request begun at `started_at` that has sent
// `hedges_sent` hedges, reading the hedger's recent latency; a `send`
// has spent its retry.
//
// # Safety
// `hedger` is NULL or live; `out` is NULL or writable.
weir_status weir_hedger_next(const weir_hedger *hedger,
                             uint64_t now,
                             uint64_t started_at,
                             uint64_t hedges_sent,
                             uint64_t deadline_left_ns,
                             weir_hedge_decision *out);

// `weir_hedger_next` at `weir_now()`.
//
// # Safety
// As `weir_hedger_next`.
weir_status weir_hedger_next_now(const weir_hedger *hedger,
                                 uint64_t started_at,
                                 uint64_t hedges_sent,
                                 uint64_t deadline_left_ns,
                                 weir_hedge_decision *out);

// The decision for an ask the caller filled in; with `spend` non-zero a
// `send` spends the budget, with 0 the budget is not asked (`send` then
// only means due).
//
// # Safety
// `hedger` is NULL or live; `ask` is NULL or readable; `out` is NULL or
// writable.
weir_status weir_hedger_ask(const weir_hedger *hedger,
                            uint64_t now,
                            const weir_hedge_ask *ask,
                            bool spend,
                            weir_hedge_decision *out);

// Counts one original request in the budget at `now` without beginning it.
//
// # Safety
// `hedger` is NULL or live.
weir_status weir_hedger_deposit(const weir_hedger *hedger, uint64_t now);

// Records the latency of a request's answer (the winning copy's) at `now`.
//
// # Safety
// `hedger` is NULL or live.
weir_status weir_hedger_record(const weir_hedger *hedger, uint64_t now, uint64_t latency_ns);

// `weir_hedger_record` at `weir_now()`.
//
// # Safety
// As `weir_hedger_record`.
weir_status weir_hedger_record_now(const weir_hedger *hedger, uint64_t latency_ns);

// The budget window's `requests` and `retries` (hedges among them) at `now`.
//
// # Safety
// `hedger` is NULL or live; `requests` and `retries` are NULL or writable.
weir_status weir_hedger_budget(const weir_hedger *hedger,
                               uint64_t now,
                               uint64_t *requests,
                               uint64_t *retries);

// The counters so far.
//
// # Safety
// `hedger` is NULL or live; `out` is NULL or writable.
weir_status weir_hedger_snapshot(const weir_hedger *hedger, weir_hedger_stats *out);

// `"send"`, `"wait"` or `"stop"` (static); `""` for an unknown value.
const char *weir_hedge_action_str(uint32_t action);

// Frees `*hedger` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `hedger` is NULL or points to NULL or to a live hedger no other thread uses.
void weir_hedger_free(weir_hedger **hedger);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_hot_keys_config_default(weir_hot_keys_config *out);

// Makes an empty detector. `seed` is the secret keys are hashed under
// (NULL: the public `weir_hash_key`, which lets crafted keys crowd one
// set).
//
// # Safety
// `config` and `seed` are NULL or readable; `out` is NULL or writable.
weir_status weir_hot_keys_new(const weir_hot_keys_config *config,
                              const weir_hash_seed *seed,
                              weir_hot_keys **out);

// Counts one request for the `key_len` bytes at `key`, at `now`.
//
// # Safety
// `hot` is NULL or live; `key` points to `key_len` readable bytes (may be
// NULL when `key_len` is 0).
weir_status weir_hot_keys_record(const weir_hot_keys *hot,
                                 uint64_t now,
                                 const uint8_t *key,
                                 size_t key_len);

// `weir_hot_keys_record` at `weir_now()`.
//
// # Safety
// As `weir_hot_keys_record`.
weir_status weir_hot_keys_record_now(const weir_hot_keys *hot, const uint8_t *key, size_t key_len);

// Counts one request for a key already hashed (its bytes are not kept).
//
// # Safety
// `hot` is NULL or live.
weir_status weir_hot_keys_record_hashed(const weir_hot_keys *hot, uint64_t now, uint64_t hash);

// The `k` keys that surely had the most requests at `now`: writes up to
// `k` entries to `out` (largest `count - error` first) and their number to
// `out_n`; copies each entry's key bytes into `keys` (room for `keys_cap`
// bytes) and the bytes all of them need to `out_keys_len`, so a caller
// whose buffer was short can call again with a larger one.
//
// # Safety
// `hot` is NULL or live; `out` has room for `k` entries (NULL when `k` is
// 0); `keys` has room for `keys_cap` bytes (NULL when `keys_cap` is 0);
// `out_n` and `out_keys_len` are NULL or writable.
weir_status weir_hot_keys_top(const weir_hot_keys *hot,
                              uint64_t now,
                              weir_hot_key *out,
                              size_t k,
                              uint8_t *keys,
                              size_t keys_cap,
                              size_t *out_n,
                              size_t *out_keys_len);

// `(count, error)` of a hashed key at `now`; for a key without a counter,
// the smallest count of its set, all of it error.
//
// # Safety
// `hot` is NULL or live; `count` and `error` are NULL or writable.
weir_status weir_hot_keys_estimate(const weir_hot_keys *hot,
                                   uint64_t now,
                                   uint64_t hash,
                                   uint64_t *count,
                                   uint64_t *error);

// The hash the detector counts the `key_len` bytes at `key` under.
//
// # Safety
// `hot` is NULL or live; `key` as in `weir_hot_keys_record`; `out` is NULL
// or writable.
weir_status weir_hot_keys_hash(const weir_hot_keys *hot,
                               const uint8_t *key,
                               size_t key_len,
                               uint64_t *out);

// The sum of every count at `now` (the requests recorded, decayed).
//
// # Safety
// `hot` is NULL or live; `out` is NULL or writable.
weir_status weir_hot_keys_total(const weir_hot_keys *hot, uint64_t now, uint64_t *out);

// Frees `*hot` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `hot` is NULL or points to NULL or to a live detector no other thread uses.
void weir_hot_keys_free(weir_hot_keys **hot);

// Makes a table of `capacity` entries (a multiple of 8) sharing `config`.
// When every entry of a key's set holds a key that has spent tokens, a new
// key is refused with `WEIR_REASON_TABLE_FULL` rather than evicting a live
// one: size the table for the keys active within one burst window.
//
// `seed` is the secret `weir_keyed_limiter_acquire_bytes_now` hashes keys
// under (copied; see `weir_hash_seed_from_secret`; all zero is refused). NULL hashes them with
// the public `weir_hash_key`: anyone who controls keys can then compute,
// offline, keys that fill another key's set and keep it refused
// `WEIR_REASON_TABLE_FULL`. Pass NULL only when callers cannot choose keys.
//
// # Safety
// `config` and `seed` are NULL or readable; `out` is NULL or writable.
weir_status weir_keyed_limiter_new(const weir_limiter_config *config,
                                   uint64_t capacity,
                                   const weir_hash_seed *seed,
                                   weir_keyed_limiter **out);

// Asks for `cost` tokens for `key` at `now`. `key` is a hash: the table's
// own (`weir_hash_key_seeded` under its seed, or `weir_hash_key` for an
// unseeded table) or one the caller owns.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_keyed_limiter_acquire(const weir_keyed_limiter *limiter,
                                       uint64_t key,
                                       uint64_t now,
                                       uint64_t cost,
                                       weir_decision *out);

// Hashes `key_len` bytes at `key` with the table's hash (under its seed,
// if made with one) and asks for `cost` tokens at `weir_now()`, in one call.
//
// # Safety
// `limiter` is NULL or live; `key` points to `key_len` readable bytes
// (may be NULL when `key_len` is 0); `out` is NULL or writable.
weir_status weir_keyed_limiter_acquire_bytes_now(const weir_keyed_limiter *limiter,
                                                 const uint8_t *key,
                                                 size_t key_len,
                                                 uint64_t cost,
                                                 weir_decision *out);

// Changes the limit of every key to `*config` at `now`. A key's TAT
// becomes the larger of the single limiter's rescaled one (see
// `weir_limiter_set_config`) and its old one plus 1 ns: never moved back,
// so no key's bucket refills from a change (a larger burst frees only the
// size it adds). Walks the table; acquires on
// other threads keep flowing. On `WEIR_STATUS_INVALID_CONFIG` nothing changes.
//
// # Safety
// `limiter` is NULL or live; `config` is NULL or readable.
weir_status weir_keyed_limiter_set_config(const weir_keyed_limiter *limiter,
                                          const weir_limiter_config *config,
                                          uint64_t now);

// `weir_keyed_limiter_set_config` with a new rate in user units, the burst kept.
//
// # Safety
// `limiter` is NULL or live.
weir_status weir_keyed_limiter_set_rate(const weir_keyed_limiter *limiter,
                                        double rate,
                                        uint64_t per_ns,
                                        uint64_t now);

// `weir_keyed_limiter_set_config` with a new burst, the rate kept.
//
// # Safety
// `limiter` is NULL or live.
weir_status weir_keyed_limiter_set_burst(const weir_keyed_limiter *limiter,
                                         double burst,
                                         uint64_t now);

// The config in force for every key.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_keyed_limiter_get_config(const weir_keyed_limiter *limiter,
                                          weir_limiter_config *out);

// Entries in the table (`capacity` as made).
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_keyed_limiter_capacity(const weir_keyed_limiter *limiter, uint64_t *out);

// Keys whose bucket is not full at `now` (entries that cannot be reused
// yet), for a gauge. Walks the whole table.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_keyed_limiter_live(const weir_keyed_limiter *limiter, uint64_t now, uint64_t *out);

// The decisions made on the table so far (every key's, from every
// thread), by reason.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_keyed_limiter_decisions(const weir_keyed_limiter *limiter,
                                         weir_decision_counts *out);

// Frees `*limiter` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `limiter` is NULL or points to NULL or to a live table no other thread uses.
void weir_keyed_limiter_free(weir_keyed_limiter **limiter);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_lease_config_default(weir_lease_config *out);

// Makes a planner.
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_lease_planner_new(const weir_lease_config *config, weir_lease_planner **out);

// What to do at `now`, given `rate_tokens` demanded over the last
// `rate_over_ns` and the lease held: `left` tokens expiring at `expires_at`.
//
// # Safety
// `planner` is NULL or live; `out` is NULL or writable.
weir_status weir_lease_planner_plan(const weir_lease_planner *planner,
                                    uint64_t now,
                                    uint64_t rate_tokens,
                                    uint64_t rate_over_ns,
                                    uint64_t left,
                                    uint64_t expires_at,
                                    weir_lease_plan *out);

// When a lease asked for at `asked_at` expires.
//
// # Safety
// `planner` is NULL or live; `out` is NULL or writable.
weir_status weir_lease_planner_expiry(const weir_lease_planner *planner,
                                      uint64_t asked_at,
                                      uint64_t *out);

// Frees `*planner` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `planner` is NULL or points to NULL or to a live planner no other thread uses.
void weir_lease_planner_free(weir_lease_planner **planner);

// Makes an empty lease that never holds more than `cap` tokens (clamped to
// 16777215); pass the planner's `max_batch`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_lease_new(uint64_t cap, weir_lease **out);

// Takes `cost` tokens at `now` if the lease is live and holds them.
//
// # Safety
// `lease` is NULL or live; `out` is NULL or writable.
weir_status weir_lease_try_spend(const weir_lease *lease,
                                 uint64_t now,
                                 uint64_t cost,
                                 weir_lease_spend *out);

// Adds `tokens` granted by the store at `now`, valid until `expires_at`;
// `*left` gets the tokens now held (live ones are kept, the total capped).
//
// # Safety
// `lease` is NULL or live; `left` is NULL or writable.
weir_status weir_lease_grant(const weir_lease *lease,
                             uint64_t now,
                             uint64_t tokens,
                             uint64_t expires_at,
                             uint64_t *left);

// Empties the lease; `*left` gets the tokens it still held at `now`.
//
// # Safety
// `lease` is NULL or live; `left` is NULL or writable.
weir_status weir_lease_revoke(const weir_lease *lease, uint64_t now, uint64_t *left);

// The lease at `now`: tokens spendable and when it expires (0 if never
// granted).
//
// # Safety
// `lease` is NULL or live; `left` and `expires_at` are NULL or writable.
weir_status weir_lease_snapshot(const weir_lease *lease,
                                uint64_t now,
                                uint64_t *left,
                                uint64_t *expires_at);

// Frees `*lease` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `lease` is NULL or points to NULL or to a live lease no other thread uses.
void weir_lease_free(weir_lease **lease);

// Fills `*out` with the limiter of `rate` tokens (any finite number > 0,
// 1.0/3 included) every `per_ns` nanoseconds, holding at most `*burst`
// (NULL: the default, the whole part of `rate`, at least 1). The same
// conversion as every weir binding: a whole `rate` as is, a fractional one
// as one token every `round(per_ns / rate)` ns. On
// `WEIR_STATUS_INVALID_CONFIG` the last error names the field (`rate`,
// `per`, `burst`) and the rule; `*out` is untouched.
//
// # Safety
// `burst` is NULL or readable; `out` is NULL or writable.
weir_status weir_limiter_config_from_units(double rate,
                                           uint64_t per_ns,
                                           const double *burst,
                                           weir_limiter_config *out);

// Makes a limiter with a full bucket. On `WEIR_STATUS_INVALID_CONFIG` the
// last error names the field and rule; `*out` is untouched.
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable for one pointer.
weir_status weir_limiter_new(const weir_limiter_config *config, weir_limiter **out);

// Asks for `cost` tokens at `now` (ns on any monotonic clock; use
// `weir_now()` or your own, consistently). A cost of 0 asks without spending.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_limiter_acquire(const weir_limiter *limiter,
                                 uint64_t now,
                                 uint64_t cost,
                                 weir_decision *out);

// `weir_limiter_acquire` at `weir_now()`, read inside the call: the hot
// path for bindings whose every foreign call is costly (Go's cgo).
//
// # Safety
// As `weir_limiter_acquire`.
weir_status weir_limiter_acquire_now(const weir_limiter *limiter,
                                     uint64_t cost,
                                     weir_decision *out);

// Changes the limit to `*config` at `now` (the clock its acquires use),
// keeping what was spent: a TAT ahead of `now` is rescaled from the old
// token interval to the new one (rounded up) and capped at the new burst,
// so a change refills nothing (a larger burst frees only the size it
// adds). Safe while other threads acquire: each
// decision is made under exactly one config. On
// `WEIR_STATUS_INVALID_CONFIG` the limit is unchanged.
//
// # Safety
// `limiter` is NULL or live; `config` is NULL or readable.
weir_status weir_limiter_set_config(const weir_limiter *limiter,
                                    const weir_limiter_config *config,
                                    uint64_t now);

// `weir_limiter_set_config` with a new rate in user units (`rate` per
// `per_ns`, as `weir_limiter_config_from_units` takes it), the burst kept.
// The last error names `rate` or `per` on refusal.
//
// # Safety
// `limiter` is NULL or live.
weir_status weir_limiter_set_rate(const weir_limiter *limiter,
                                  double rate,
                                  uint64_t per_ns,
                                  uint64_t now);

// `weir_limiter_set_config` with a new burst (a whole number >= 1), the
// rate kept.
//
// # Safety
// `limiter` is NULL or live.
weir_status weir_limiter_set_burst(const weir_limiter *limiter, double burst, uint64_t now);

// The config in force (after the latest change).
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_limiter_get_config(const weir_limiter *limiter, weir_limiter_config *out);

// The raw state (one word), for snapshots or moving a limiter between
// processes that share a clock.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_limiter_state(const weir_limiter *limiter, uint64_t *out);

// Replaces the state with one from `weir_limiter_state`.
//
// # Safety
// `limiter` is NULL or live.
weir_status weir_limiter_restore(const weir_limiter *limiter, uint64_t state);

// The decisions made on the limiter so far, by reason (every acquire,
// from every thread, counted once).
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_limiter_decisions(const weir_limiter *limiter, weir_decision_counts *out);

// Frees `*limiter` and sets it to NULL, so freeing the same variable twice
// is a no-op; NULL is a no-op.
//
// # Safety
// `limiter` is NULL or points to NULL or to a live limiter that no other
// thread is using.
void weir_limiter_free(weir_limiter **limiter);

// Makes a limiter of the `count` rates at `configs` (1 to 4), each with a
// full bucket. On `WEIR_STATUS_INVALID_CONFIG` the last error names the
// field (`rates` for the count); `*out` is untouched.
//
// # Safety
// `configs` is NULL or readable for `count` configs; `out` is NULL or
// writable for one pointer.
weir_status weir_multi_limiter_new(const weir_limiter_config *configs,
                                   size_t count,
                                   weir_multi_limiter **out);

// Asks every rate for `cost` tokens at `now`. Admitted: `remaining` is the
// fewest any rate has left, `reset_after` the longest until all are full.
// Refused: the refusal of the rate that waits longest; nothing spent.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_multi_limiter_acquire(const weir_multi_limiter *limiter,
                                       uint64_t now,
                                       uint64_t cost,
                                       weir_decision *out);

// `weir_multi_limiter_acquire` at `weir_now()`, read inside the call.
//
// # Safety
// As `weir_multi_limiter_acquire`.
weir_status weir_multi_limiter_acquire_now(const weir_multi_limiter *limiter,
                                           uint64_t cost,
                                           weir_decision *out);

// Changes rate `index` to `*config` at `now`, keeping what it spent (the
// rule of `weir_limiter_set_config`). An `index` past the rates is
// `WEIR_STATUS_INVALID_CONFIG` naming `index`.
//
// # Safety
// `limiter` is NULL or live; `config` is NULL or readable.
weir_status weir_multi_limiter_set_config(const weir_multi_limiter *limiter,
                                          size_t index,
                                          const weir_limiter_config *config,
                                          uint64_t now);

// Frees `*limiter` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `limiter` is NULL or points to NULL or to a live limiter no other thread uses.
void weir_multi_limiter_free(weir_multi_limiter **limiter);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_picker_config_default(weir_picker_config *out);

// Makes a picker with `capacity` empty node slots (1..=65536).
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_picker_new(const weir_picker_config *config, uint64_t capacity, weir_picker **out);

// Adds node `id` at `now` in the first empty slot; `*index` gets the slot.
// `WEIR_STATUS_FULL` when every slot is taken.
//
// # Safety
// `picker` is NULL or live; `index` is NULL or writable.
weir_status weir_picker_add(const weir_picker *picker, uint64_t id, uint64_t now, uint32_t *index);

// Removes the node in slot `index`; its in-flight picks' `done` are then
// ignored. `WEIR_STATUS_NOT_FOUND` if the slot holds no node.
//
// # Safety
// `picker` is NULL or live.
weir_status weir_picker_remove(const weir_picker *picker, uint32_t index);

// Marks the node in slot `index` up (pickable) or down.
// `WEIR_STATUS_NOT_FOUND` if the slot holds no node.
//
// # Safety
// `picker` is NULL or live.
weir_status weir_picker_set_up(const weir_picker *picker, uint32_t index, bool up);

// Picks a node at `now` with `draw` (a uniform random u64, `weir_draw()`).
//
// # Safety
// `picker` is NULL or live; `out` is NULL or writable.
weir_status weir_picker_pick(const weir_picker *picker,
                             uint64_t now,
                             uint64_t draw,
                             weir_pick *out);

// `weir_picker_pick` at `weir_now()` with `weir_draw()`.
//
// # Safety
// As `weir_picker_pick`.
weir_status weir_picker_pick_now(const weir_picker *picker, weir_pick *out);

// Reports the outcome of `pick` at `now`: how long it took, whether it
// succeeded, and the server's CPU in permille if the response carried it
// (negative when not). `WEIR_STATUS_NOT_FOUND` (and no change) for a stale
// pick: already done, or the node was removed since.
//
// # Safety
// `picker` is NULL or live; `pick` is NULL or readable.
weir_status weir_picker_done(const weir_picker *picker,
                             const weir_pick *pick,
                             uint64_t now,
                             uint64_t latency_ns,
                             bool success,
                             int32_t cpu_permille);

// `weir_picker_done` at `weir_now()`, the latency measured from the
// pick's `picked_at`.
//
// # Safety
// As `weir_picker_done`.
weir_status weir_picker_done_now(const weir_picker *picker,
                                 const weir_pick *pick,
                                 bool success,
                                 int32_t cpu_permille);

// The node in slot `index`. `WEIR_STATUS_NOT_FOUND` for an index past the
// capacity (an empty slot answers with state `WEIR_NODE_STATE_EMPTY`).
//
// # Safety
// `picker` is NULL or live; `out` is NULL or writable.
weir_status weir_picker_node(const weir_picker *picker, uint32_t index, weir_node_stats *out);

// The slot of the node with host id `id` (up or down).
// `WEIR_STATUS_NOT_FOUND` if there is none.
//
// # Safety
// `picker` is NULL or live; `index` is NULL or writable.
weir_status weir_picker_find(const weir_picker *picker, uint64_t id, uint32_t *index);

// Frees `*picker` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `picker` is NULL or points to NULL or to a live picker no other thread uses.
void weir_picker_free(weir_picker **picker);

// Loads the policy in `(json, json_len)` at the native clock.
//
// # Safety
// `json` readable for `json_len` bytes; `out` is NULL or writable.
weir_status weir_policy_new(const uint8_t *json, size_t json_len, weir_policy **out);

// As `weir_policy_new`, with the clock origin `now` and the learners'
// random draws from `seed`: a replayed trace decides the same every time.
//
// # Safety
// As `weir_policy_new`.
weir_status weir_policy_new_at(const uint8_t *json,
                               size_t json_len,
                               uint64_t now,
                               uint64_t seed,
                               weir_policy **out);

// Loads the policy file at `path` (NUL-terminated).
//
// # Safety
// `path` is NULL or a NUL-terminated string; `out` is NULL or writable.
weir_status weir_policy_load(const char *path, weir_policy **out);

// Frees the policy and NULLs `*policy`. Verdicts still out keep what they need.
//
// # Safety
// `policy` is NULL or points to NULL or a live policy no other thread uses.
void weir_policy_free(weir_policy **policy);

// Decides `request` at `now`. `*out` is the verdict to read, report and
// free, or NULL for an admission that carries nothing (status 200, no
// headers, nothing to report).
//
// # Safety
// `policy` NULL or live; `request` NULL or readable with every (pointer,
// length) pair readable; `out` NULL or writable.
weir_status weir_policy_check(const weir_policy *policy,
                              const weir_request *request,
                              uint64_t now,
                              weir_verdict **out);

// `weir_policy_check` at the native clock.
//
// # Safety
// As `weir_policy_check`.
weir_status weir_policy_check_now(const weir_policy *policy,
                                  const weir_request *request,
                                  weir_verdict **out);

// Swaps in a new document at `now`: limits whose rule, rate, burst and
// table size are unchanged keep their state. On `WEIR_STATUS_INVALID_CONFIG`
// the old policy keeps serving and the last error says why.
//
// # Safety
// `policy` NULL or live; `json` readable for `json_len` bytes.
weir_status weir_policy_replace(const weir_policy *policy,
                                const uint8_t *json,
                                size_t json_len,
                                uint64_t now);

// The total of the counter named `(name, name_len)` (`weir.<rule>.<outcome>`,
// the Envoy filter's names); 0 for a name the policy does not count.
//
// # Safety
// `policy` NULL or live; `name` readable; `out` NULL or writable.
weir_status weir_policy_counter(const weir_policy *policy,
                                const uint8_t *name,
                                size_t name_len,
                                uint64_t *out);

// The verdict's numbers. A NULL verdict (a bare admission) reads as admitted, 200.
//
// # Safety
// `verdict` NULL or live; `out` NULL or writable.
weir_status weir_verdict_get_info(const weir_verdict *verdict, weir_verdict_info *out);

// Lends one of the verdict's texts (not NUL-terminated) until it is freed.
// A NULL verdict reads as a bare admission.
//
// # Safety
// `verdict` NULL or live; `ptr` and `len` NULL or writable.
weir_status weir_verdict_get_text(const weir_verdict *verdict,
                                  weir_verdict_text which,
                                  const uint8_t **ptr,
                                  size_t *len);

// Lends header `index` (below `weir_verdict_info.headers`, or
// `.request_headers` when `request` is true) until the verdict is freed.
//
// # Safety
// `verdict` NULL or live; `out` NULL or writable.
weir_status weir_verdict_get_header(const weir_verdict *verdict,
                                    bool request,
                                    size_t index,
                                    weir_header *out);

// Reports how the request ended, at `now` unless the outcome has a
// latency. Once; later reports and a NULL verdict do nothing.
//
// # Safety
// `verdict` NULL or live; `outcome` NULL or readable.
weir_status weir_verdict_report(const weir_verdict *verdict,
                                const weir_outcome *outcome,
                                uint64_t now);

// As `weir_verdict_report`, for an answer that may have carried
// `x-weir-no-retry: 1` (`no_retry`): an overload a weir further down
// decided on purpose, which the policy's breaker does not count against
// this upstream (its throttle and picker still count it as a refusal).
//
// # Safety
// `verdict` NULL or live; `outcome` NULL or readable.
weir_status weir_verdict_report_answer(const weir_verdict *verdict,
                                       const weir_outcome *outcome,
                                       bool no_retry,
                                       uint64_t now);

// Frees the verdict and NULLs `*verdict`. One never reported is taken
// back by every learner that let it through, as if weir had answered it.
//
// # Safety
// `verdict` is NULL or points to NULL or a live verdict no other thread uses.
void weir_verdict_free(weir_verdict **verdict);

// Takes a snapshot of every counter of `policy`, in rule order.
//
// # Safety
// `policy` NULL or live; `out` NULL or writable.
weir_status weir_policy_counters(const weir_policy *policy, weir_counters **out);

// How many counters the snapshot holds; 0 for NULL.
//
// # Safety
// `counters` NULL or live.
size_t weir_counters_len(const weir_counters *counters);

// The counter at `index`. `WEIR_STATUS_INVALID_ARGUMENT` past the end.
//
// # Safety
// `counters` NULL or live; `out` NULL or writable.
weir_status weir_counters_get(const weir_counters *counters, size_t index, weir_counter *out);

// Frees the snapshot and NULLs `*counters`.
//
// # Safety
// `counters` NULL, or the address of a variable holding NULL or a live snapshot.
void weir_counters_free(weir_counters **counters);

// `weir_policy_check` with the request in the wire layout above: `*out`
// is the verdict to read, report and free, or NULL for an admission that
// carries nothing.
//
// # Safety
// `policy` NULL or live; `wire` readable for `wire_len` bytes; `out` NULL
// or writable.
weir_status weir_policy_check_wire(const weir_policy *policy,
                                   const uint8_t *wire,
                                   size_t wire_len,
                                   uint64_t now,
                                   weir_verdict **out);

// `weir_policy_check_wire` at the native clock.
//
// # Safety
// As `weir_policy_check_wire`.
weir_status weir_policy_check_wire_now(const weir_policy *policy,
                                       const uint8_t *wire,
                                       size_t wire_len,
                                       weir_verdict **out);

// `weir_policy_check` with the request's fields as arguments and only its
// headers in the wire layout (the header count, then each name and value;
// `headers_len` 0: none): a caller passes the strings it holds as they
// are, with nothing to copy for a request without headers. A NULL
// `client_address` or `key` is absent. `*out` is as for
// `weir_policy_check_wire`.
//
// # Safety
// `policy` NULL or live; each (pointer, length) pair readable when its
// length is not 0; `out` NULL or writable.
weir_status weir_policy_check_fields(const weir_policy *policy,
                                     const uint8_t *method,
                                     size_t method_len,
                                     const uint8_t *path,
                                     size_t path_len,
                                     const uint8_t *client_address,
                                     size_t client_address_len,
                                     const uint8_t *key,
                                     size_t key_len,
                                     const uint8_t *headers,
                                     size_t headers_len,
                                     uint64_t now,
                                     weir_verdict **out);

// `weir_policy_check_fields` at the native clock.
//
// # Safety
// As `weir_policy_check_fields`.
weir_status weir_policy_check_fields_now(const weir_policy *policy,
                                         const uint8_t *method,
                                         size_t method_len,
                                         const uint8_t *path,
                                         size_t path_len,
                                         const uint8_t *client_address,
                                         size_t client_address_len,
                                         const uint8_t *key,
                                         size_t key_len,
                                         const uint8_t *headers,
                                         size_t headers_len,
                                         weir_verdict **out);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_quantiles_config_default(weir_quantiles_config *out);

// Makes an empty estimator.
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_quantiles_new(const weir_quantiles_config *config, weir_quantiles **out);

// Counts `n` samples of `latency_ns` at `now`.
//
// # Safety
// `q` is NULL or live.
weir_status weir_quantiles_record(const weir_quantiles *q,
                                  uint64_t now,
                                  uint64_t latency_ns,
                                  uint64_t n);

// Counts one sample of `latency_ns` at `weir_now()`.
//
// # Safety
// `q` is NULL or live.
weir_status weir_quantiles_record_now(const weir_quantiles *q, uint64_t latency_ns);

// The `quantile` (in [0, 1]) of the window ending at `now`.
//
// # Safety
// `q` is NULL or live; `out` is NULL or writable.
weir_status weir_quantiles_quantile(const weir_quantiles *q,
                                    uint64_t now,
                                    double quantile,
                                    weir_quantile_reading *out);

// `weir_quantiles_quantile` at `weir_now()`.
//
// # Safety
// As `weir_quantiles_quantile`.
weir_status weir_quantiles_quantile_now(const weir_quantiles *q,
                                        double quantile,
                                        weir_quantile_reading *out);

// The window ending at `now`, bucket by bucket: writes up to `cap` buckets
// to `out` in ascending order and the number of non-empty buckets to
// `out_len` (more than `cap` means the rest were left out).
//
// # Safety
// `q` is NULL or live; `out` is NULL (then `cap` must be 0) or has room for
// `cap` buckets; `out_len` is NULL or writable.
weir_status weir_quantiles_buckets(const weir_quantiles *q,
                                   uint64_t now,
                                   weir_quantile_bucket *out,
                                   size_t cap,
                                   size_t *out_len);

// Adds `from`'s window ending at `now` into `into`; both must have the
// same config.
//
// # Safety
// `into` and `from` are NULL or live.
weir_status weir_quantiles_merge(const weir_quantiles *into,
                                 const weir_quantiles *from,
                                 uint64_t now);

// The bounds of the bucket `value` is counted in (`upper` is `UINT64_MAX`
// for the last bucket).
//
// # Safety
// `lower` and `upper` are NULL or writable.
weir_status weir_quantiles_bucket_bounds(uint64_t value, uint64_t *lower, uint64_t *upper);

// Frees `*q` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `q` is NULL or points to NULL or to a live estimator no other thread uses.
void weir_quantiles_free(weir_quantiles **q);

// Derives the seed of `secret_len` bytes at `secret` (a passphrase, a
// random string from a secret store; every byte counts), the same seed
// every weir runtime derives from those bytes. An empty secret gives a
// seed everyone can compute: use a real one. `secret` may be NULL when
// `secret_len` is 0.
//
// # Safety
// `secret` points to `secret_len` readable bytes; `out` is NULL or writable.
weir_status weir_hash_seed_from_secret(const uint8_t *secret,
                                       size_t secret_len,
                                       weir_hash_seed *out);

// The hash of `len` bytes at `key` under `seed` (SipHash-2-4): where a
// table made with `seed` places the key. `key` may be NULL when `len` is
// 0; NULL with `len > 0` hashes as the empty key. Thread-safe.
//
// # Safety
// When `len > 0` and `key` is not NULL, `key` points to `len` readable bytes.
uint64_t weir_hash_key_seeded(weir_hash_seed seed, const uint8_t *key, size_t len);

// Opens the shared limiter at `path` (a file, best on a tmpfs such as
// `/dev/shm`), creating it with a full bucket if it is missing or empty.
// A file made with a different configuration is refused with
// `WEIR_STATUS_INVALID_CONFIG`, the last error naming the differing field
// (remove the file to change the limit; truncating it in place while
// processes map it gets them SIGBUS); a file that is not a weir shared
// limiter, or a failing system call, gives `WEIR_STATUS_INVALID_ARGUMENT`
// with the reason in `weir_last_error_message()`. `*out` is untouched on
// failure.
//
// Every process must pass times from one clock: `CLOCK_MONOTONIC` as
// `weir_shared_limiter_now()` (or `clock_gettime`) reads it.
// Not `weir_now()`: each process calibrates that TSC clock on its own, and
// two processes drift apart by a few ppm (over 100 ms a day), which would
// let the one running ahead take every token.
//
// # Safety
// `path` is NULL or a NUL-terminated string; `config` is NULL or readable;
// `out` is NULL or writable for one pointer.
weir_status weir_shared_limiter_open(const char *path,
                                     const weir_limiter_config *config,
                                     weir_shared_limiter **out);

// Asks for `cost` tokens at `now`, nanoseconds of `CLOCK_MONOTONIC` (see
// `weir_shared_limiter_open`). A cost of 0 asks without spending.
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_shared_limiter_acquire(const weir_shared_limiter *limiter,
                                        uint64_t now,
                                        uint64_t cost,
                                        weir_decision *out);

// `weir_shared_limiter_acquire` now, on `CLOCK_MONOTONIC` read inside the
// call (a vDSO read, the clock every process sharing the limiter uses).
//
// # Safety
// As `weir_shared_limiter_acquire`.
weir_status weir_shared_limiter_acquire_now(const weir_shared_limiter *limiter,
                                            uint64_t cost,
                                            weir_decision *out);

// Changes the limit for every process sharing the file to `*config`, now
// on `CLOCK_MONOTONIC`, keeping what was spent (the rule of
// `weir_limiter_set_config`). The config in force lives in the file;
// changes from several processes are serialised by `flock`. Processes that
// open the path later still pass the configuration the file was made with.
//
// # Safety
// `limiter` is NULL or live; `config` is NULL or readable.
weir_status weir_shared_limiter_set_config(const weir_shared_limiter *limiter,
                                           const weir_limiter_config *config);

// `weir_shared_limiter_set_config` with a new rate in user units, the burst kept.
//
// # Safety
// `limiter` is NULL or live.
weir_status weir_shared_limiter_set_rate(const weir_shared_limiter *limiter,
                                         double rate,
                                         uint64_t per_ns);

// `weir_shared_limiter_set_config` with a new burst, the rate kept.
//
// # Safety
// `limiter` is NULL or live.
weir_status weir_shared_limiter_set_burst(const weir_shared_limiter *limiter, double burst);

// The config in force for every process (after the latest change by any).
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_shared_limiter_get_config(const weir_shared_limiter *limiter,
                                           weir_limiter_config *out);

// The clock every process sharing a limiter decides on: nanoseconds of
// `CLOCK_MONOTONIC` read from the kernel (what
// `weir_shared_limiter_acquire_now` uses). Thread-safe.
uint64_t weir_shared_limiter_now(void);

// The decisions this process made on the shared limiter so far, by
// reason (every acquire through this handle, from every thread; other
// processes count their own).
//
// # Safety
// `limiter` is NULL or live; `out` is NULL or writable.
weir_status weir_shared_limiter_decisions(const weir_shared_limiter *limiter,
                                          weir_decision_counts *out);

// Unmaps `*limiter`'s file (the state stays in the file for the other
// processes) and sets `*limiter` to NULL; NULL is a no-op.
//
// # Safety
// `limiter` is NULL or points to NULL or to a live handle that no other
// thread is using.
void weir_shared_limiter_free(weir_shared_limiter **limiter);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_shedder_config_default(weir_shedder_config *out);

// Makes a shedder that has seen nothing (CPU 0, empty window).
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_shedder_new(const weir_shedder_config *config, weir_shedder **out);

// Asks to start a request at `now`. When admitted, call `weir_shedder_done`
// exactly once with the same `now` as `started_at`.
//
// # Safety
// `shedder` is NULL or live; `out` is NULL or writable.
weir_status weir_shedder_acquire(const weir_shedder *shedder, uint64_t now, weir_decision *out);

// `weir_shedder_acquire` at `weir_now()`; the time read is written to
// `*started_at` to hand to `weir_shedder_done_now` when admitted.
//
// # Safety
// `shedder` is NULL or live; `out` and `started_at` are NULL or writable.
weir_status weir_shedder_acquire_now(const weir_shedder *shedder,
                                     weir_decision *out,
                                     uint64_t *started_at);

// Ends a request admitted at `started_at`, at `now`, recording its
// response time.
//
// # Safety
// `shedder` is NULL or live.
weir_status weir_shedder_done(const weir_shedder *shedder, uint64_t started_at, uint64_t now);

// `weir_shedder_done` at `weir_now()`.
//
// # Safety
// As `weir_shedder_done`.
weir_status weir_shedder_done_now(const weir_shedder *shedder, uint64_t started_at);

// Ends an admitted request that never reached the service (a later step
// refused it, or it was cancelled before sending) without a response time:
// its near-zero time would teach the shedder a minimum RT it cannot keep.
//
// # Safety
// `shedder` is NULL or live.
weir_status weir_shedder_cancel(const weir_shedder *shedder);

// Folds a CPU sample (permille, e.g. from `weir_cpu_sampler_sample`) into
// the smoothed CPU. `smoothed` may be NULL; else it gets the new value.
//
// # Safety
// `shedder` is NULL or live; `smoothed` is NULL or writable.
weir_status weir_shedder_record_cpu(const weir_shedder *shedder,
                                    uint64_t permille,
                                    double *smoothed);

// What the shedder knows at `now`.
//
// # Safety
// `shedder` is NULL or live; `out` is NULL or writable.
weir_status weir_shedder_snapshot(const weir_shedder *shedder,
                                  uint64_t now,
                                  weir_shedder_stats *out);

// The decisions made on the shedder so far, by reason (every acquire,
// from every thread, counted once).
//
// # Safety
// `shedder` is NULL or live; `out` is NULL or writable.
weir_status weir_shedder_decisions(const weir_shedder *shedder, weir_decision_counts *out);

// Frees `*shedder` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `shedder` is NULL or points to NULL or to a live shedder no other thread uses.
void weir_shedder_free(weir_shedder **shedder);

// Writes which counter a caller may read itself for
// `WEIR_SHEDDER_ENDED_AT_TICKS`: `WEIR_TICKS_X86_TSC`, or
// `WEIR_TICKS_NONE` (then end requests with `WEIR_SHEDDER_ENDED_AT_NS` and
// `weir_now()`, or through `weir_shedder_done_now`).
//
// # Safety
// `out` is NULL or writable.
weir_status weir_ticks(uint32_t *out);

// Applies the ends in `slots`, then asks to start a request at `now`;
// an admitted request gets a slot to end it in.
//
// # Safety
// `shedder` is NULL or live; `slots` is NULL or as `weir_shedder_slots`
// says; `out` is NULL or writable.
weir_status weir_shedder_acquire_slot(const weir_shedder *shedder,
                                      weir_shedder_slots *slots,
                                      uint64_t now,
                                      weir_shedder_admission *out);

// `weir_shedder_acquire_slot` at `weir_now()`.
//
// # Safety
// As `weir_shedder_acquire_slot`.
weir_status weir_shedder_acquire_slot_now(const weir_shedder *shedder,
                                          weir_shedder_slots *slots,
                                          weir_shedder_admission *out);

// Applies the ends in `slots` at `now` and frees their slots: before a
// snapshot, so it counts every end handed over.
//
// # Safety
// `shedder` is NULL or live; `slots` is NULL or as `weir_shedder_slots` says.
weir_status weir_shedder_drain(const weir_shedder *shedder,
                               weir_shedder_slots *slots,
                               uint64_t now);

// Makes a table of `capacity` slots (1..=2^24); size it at a few times the
// keys in flight at once.
//
// `seed` is the secret `weir_singleflight_begin_bytes` hashes keys under
// (copied; see `weir_hash_seed_from_secret`; all zero is refused). NULL hashes them with the
// public `weir_hash_key`: anyone who controls keys can then pick keys that
// occupy another key's slot, so its callers run unshared.
//
// # Safety
// `seed` is NULL or readable; `out` is NULL or writable.
weir_status weir_singleflight_new(uint64_t capacity,
                                  const weir_hash_seed *seed,
                                  weir_singleflight **out);

// Joins or starts the flight of `key`, a hash: the table's own
// (`weir_hash_key_seeded` under its seed, or `weir_hash_key` for an
// unseeded table) or one the caller owns.
//
// # Safety
// `table` is NULL or live; `out` is NULL or writable.
weir_status weir_singleflight_begin(const weir_singleflight *table, uint64_t key, weir_flight *out);

// `weir_singleflight_begin` of `key_len` bytes at `key` hashed with the
// table's hash (under its seed, if made with one).
//
// # Safety
// `table` is NULL or live; `key` points to `key_len` readable bytes (may be
// NULL when `key_len` is 0); `out` is NULL or writable.
weir_status weir_singleflight_begin_bytes(const weir_singleflight *table,
                                          const uint8_t *key,
                                          size_t key_len,
                                          weir_flight *out);

// Ends the leader's flight `(slot, gen)`. `WEIR_STATUS_NOT_FOUND` (no
// change) if it already finished.
//
// # Safety
// `table` is NULL or live.
weir_status weir_singleflight_finish(const weir_singleflight *table, uint32_t slot, uint32_t gen);

// A follower of `(slot, gen)` is done (read the result, or gave up).
// `WEIR_STATUS_NOT_FOUND` if there was no such follower.
//
// # Safety
// `table` is NULL or live.
weir_status weir_singleflight_leave(const weir_singleflight *table, uint32_t slot, uint32_t gen);

// Whether the flight `(slot, gen)` has finished, for hosts that poll.
//
// # Safety
// `table` is NULL or live; `done` is NULL or writable.
weir_status weir_singleflight_is_done(const weir_singleflight *table,
                                      uint32_t slot,
                                      uint32_t gen,
                                      bool *done);

// Slots not free, for a gauge.
//
// # Safety
// `table` is NULL or live; `out` is NULL or writable.
weir_status weir_singleflight_occupied(const weir_singleflight *table, uint64_t *out);

// Slot `slot`'s phase (a `weir_slot_state`) and follower count.
// `WEIR_STATUS_NOT_FOUND` for a slot past the capacity.
//
// # Safety
// `table` is NULL or live; `state` and `waiters` are NULL or writable.
weir_status weir_singleflight_slot(const weir_singleflight *table,
                                   uint32_t slot,
                                   uint32_t *state,
                                   uint64_t *waiters);

// Frees `*table` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `table` is NULL or points to NULL or to a live table no other thread uses.
void weir_singleflight_free(weir_singleflight **table);

// Writes the default config to `out`.
//
// # Safety
// `out` is NULL or writable.
weir_status weir_throttle_config_default(weir_throttle_config *out);

// Makes a throttle with an empty window.
//
// # Safety
// `config` is NULL or readable; `out` is NULL or writable.
weir_status weir_throttle_new(const weir_throttle_config *config, weir_throttle **out);

// Decides whether to send a request at `now` with `draw`, a uniform random
// u64 (`weir_draw()`); the request is counted either way. When admitted,
// report the backend's answer with `weir_throttle_record`, or
// `weir_throttle_forget` if it never reaches the backend.
//
// # Safety
// `throttle` is NULL or live; `out` is NULL or writable.
weir_status weir_throttle_acquire(const weir_throttle *throttle,
                                  uint64_t now,
                                  uint64_t draw,
                                  weir_decision *out);

// `weir_throttle_acquire` at `weir_now()` with `weir_draw()`.
//
// # Safety
// As `weir_throttle_acquire`.
weir_status weir_throttle_acquire_now(const weir_throttle *throttle, weir_decision *out);

// Reports an admitted request's outcome at `now`: `success` non-zero when
// the backend accepted it.
//
// # Safety
// `throttle` is NULL or live.
weir_status weir_throttle_record(const weir_throttle *throttle, uint64_t now, bool success);

// `weir_throttle_record` at `weir_now()`.
//
// # Safety
// As `weir_throttle_record`.
weir_status weir_throttle_record_now(const weir_throttle *throttle, bool success);

// Takes back a request admitted at `acquired_at` (the `now` its
// `weir_throttle_acquire` took) that never reached the backend, because a
// later step refused it: it counts as neither a request nor a failure.
// Call it instead of `weir_throttle_record`.
//
// # Safety
// `throttle` is NULL or live.
weir_status weir_throttle_forget(const weir_throttle *throttle, uint64_t acquired_at);

// The window's counts at `now`.
//
// # Safety
// `throttle` is NULL or live; `out` is NULL or writable.
weir_status weir_throttle_snapshot(const weir_throttle *throttle,
                                   uint64_t now,
                                   weir_throttle_stats *out);

// The decisions made on the throttle so far, by reason (every acquire,
// from every thread, counted once).
//
// # Safety
// `throttle` is NULL or live; `out` is NULL or writable.
weir_status weir_throttle_decisions(const weir_throttle *throttle, weir_decision_counts *out);

// Frees `*throttle` and sets it to NULL; NULL is a no-op.
//
// # Safety
// `throttle` is NULL or points to NULL or to a live throttle no other thread uses.
void weir_throttle_free(weir_throttle **throttle);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* WEIR_H */
