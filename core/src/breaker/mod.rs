//! Circuit breaker: closed / open / half-open, plus forced open and disabled.
//!
//! Closed, every call passes and its outcome (failed or not, and how long it
//! took) goes into a sliding window: the last `window_calls` calls, or the
//! calls of the last `window_ns` in `buckets`. Once the window holds
//! `minimum_calls`, a failure rate or a slow-call rate at or above its
//! threshold opens the breaker; `consecutive_failures` failures in a row open
//! it whatever the window holds. Open, calls are refused with
//! [`Reason::CircuitOpen`](crate::Reason::CircuitOpen) and `retry_after` =
//! the time left in open. The first call after `open_ns` enters half-open:
//! at most `half_open_probes` calls pass (the rest get
//! [`Reason::CircuitHalfOpen`](crate::Reason::CircuitHalfOpen)); the
//! breaker opens again as soon as the probes' failures (or slow calls) reach
//! the threshold's share of the probes, and closes, with an empty window,
//! once every probe has reported without that. Every move is returned to the
//! caller that caused it as a [`Transition`] (from, to, cause, and the counts
//! that decided it), which hosts turn into events; [`AtomicBreaker::stats`]
//! is the snapshot.
//!
//! ```
//! use weir_core::breaker::{AtomicBreaker, BreakerConfig, State};
//! use weir_core::{Reason, SECOND};
//! let config = BreakerConfig { window_calls: 4, minimum_calls: 4, open_ns: 10 * SECOND, ..Default::default() };
//! let breaker = AtomicBreaker::new(config).unwrap();
//! let mut last = None;
//! for failed in [false, true, false, true] {
//!     let permit = breaker.acquire(0).permit.unwrap();
//!     last = breaker.record(0, permit, failed, 1_000);
//! }
//! assert_eq!(last.unwrap().to, State::Open); // 2 of 4 failed: 50%
//! let refused = breaker.acquire(3 * SECOND).decision;
//! assert_eq!((refused.reason, refused.retry_after), (Reason::CircuitOpen, 7 * SECOND));
//! let probe = breaker.acquire(10 * SECOND);
//! assert_eq!(probe.transition.unwrap().to, State::HalfOpen);
//! ```
//!
//! ## Concurrency
//!
//! [`AtomicBreaker`] keeps its state in one word (`state.rs`): an admission
//! in closed is one load; a probe is taken by the compare-exchange that
//! checks the bound, so no interleaving lets more than `half_open_probes`
//! through; the move out of open is one compare-exchange that exactly one
//! caller wins (the others then compete for the remaining probes). Each
//! outcome recorded in closed passes through the state word as well, which
//! orders it against every move and counts the failure streak exactly. The
//! window itself is lock-free words beside the state; a rate is judged on
//! the window as it stands after the caller's own outcome is in it.
//! [`Breaker`] is the same code over plain words for one thread.
//!
//! ## Against resilience4j's CircuitBreaker, point by point
//!
//! | | resilience4j | weir |
//! |---|---|---|
//! | states | CLOSED, OPEN, HALF_OPEN, DISABLED, FORCED_OPEN, METRICS_ONLY | the same but METRICS_ONLY (a host can run a breaker and ignore its refusals) |
//! | window | `slidingWindowType` COUNT_BASED (last N calls) or TIME_BASED (last N seconds, one partial aggregation per second) | `window` count (last `window_calls`, up to 8192) or time (`window_ns` in `buckets` of any length, up to 128) |
//! | default window | count, 100 calls | the same |
//! | minimum calls | `minimumNumberOfCalls`, 100; above a count window's size it is silently capped | `minimum_calls`, 100; above `window_calls` it is refused by name |
//! | failure rate | `failureRateThreshold` 50%, trips at `>=`, in (0, 100] | `failure_rate_threshold` 50, `>=`; 0 turns it off |
//! | slow calls | `slowCallRateThreshold` 100%, `slowCallDurationThreshold` 60 s, slow = longer than | `slow_call_rate_threshold` 100, `slow_call_ns` 60 s, longer than; slow failures count as both |
//! | consecutive failures | none (users ask for it) | `consecutive_failures` (gobreaker's default rule is 5 in a row); 0 off |
//! | which outcomes count | `recordExceptions` / `ignoreExceptions` / predicates | the host decides `failed`; an ignored call is [`AtomicBreaker::release`]d |
//! | wait in open | `waitDurationInOpenState` 60 s; moves to half-open on the next call, or by a timer with `automaticTransitionFromOpenToHalfOpenEnabled` | `open_ns` 60 s; on the next call (a core has no timers) |
//! | refusal | `CallNotPermittedException`, no delay | [`Reason::CircuitOpen`](crate::Reason::CircuitOpen) with `retry_after` = time left in open (`u64::MAX` forced) |
//! | half-open probes | `permittedNumberOfCallsInHalfOpenState` 10, any number; further calls refused | `half_open_probes` 10, at most 30, exact under concurrent callers; a permit reported or released twice frees one place |
//! | half-open verdict | after all permitted calls, the rates over them: at or above a threshold opens, else closes | the same rates over the probes, but the breaker reopens the moment the failed (or slow) probes reach `ceil(threshold x probes)`, without waiting for the rest; with the failure-rate rule off, one failed probe reopens |
//! | stuck probes | `maxWaitDurationInHalfOpenState`, 0 = wait forever, timed from entering half-open | `half_open_max_ns`, 0 = wait, timed from the end of the wait in open |
//! | window on closing | a new, empty window | the same (emptied on entering half-open) |
//! | late outcomes | a call admitted before a move is recorded in the new state's metrics | dropped: each permit carries the generation of the state that admitted it (as gobreaker) |
//! | events | `onStateTransition`, `onFailureRateExceeded`, ... through an event publisher | a [`Transition`] returned to the caller that caused the move, with cause and counts (gobreaker #72 asks for the counts) |
//! | thread safety | a lock per window (`synchronized`) and atomic state references | one state word per breaker, lock-free |
//!
//! gobreaker (Go) trips on a `ReadyToTrip` predicate over counts that are
//! cleared every `Interval` (a tumbling window, not a sliding one), admits
//! `MaxRequests` probes and reopens on any failed probe. failsafe-go counts
//! failures over the last N executions or a time period, with a success
//! threshold in half-open, and exposes `RemainingDelay` as weir exposes
//! `retry_after`.

mod cell;
mod config;
mod state;
mod window;

pub use cell::{Admission, AtomicBreaker, Breaker, BreakerStats, Permit, Transition};
pub use config::{BreakerConfig, BreakerKernel, Cause, Counts, WindowKind, MAX_CONSECUTIVE_FAILURES, MAX_PROBES};
pub use state::State;
pub use window::{MAX_BUCKETS, MAX_WINDOW_CALLS, WINDOW_WORDS};
