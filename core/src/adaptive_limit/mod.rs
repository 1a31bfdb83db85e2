//! Adaptive concurrency limit: the number of requests allowed in flight,
//! learned from latency alone (no CPU signal), as Netflix's
//! concurrency-limits does.
//!
//! [`AtomicAdaptiveLimit::acquire`] admits while fewer than the limit are in
//! flight and hands out a [`Permit`]; [`AtomicAdaptiveLimit::release`] takes
//! the request's measured RTT and whether it was dropped, and moves the
//! limit, which always stays within `[min_limit, max_limit]`:
//!
//! - **Gradient2** (the default). A long-term RTT, an exponential average
//!   over `long_window` samples after a plain average of the first 10, is
//!   compared with each sample: `gradient = clamp(rtt_tolerance x long / rtt,
//!   0.5, 1)`, `target = limit x gradient + queue_size`, and the limit moves a
//!   `smoothing` share of the way to the target. Latency within the tolerance
//!   lets the limit grow by `queue_size x smoothing` per sample; a queue
//!   building up (samples slower than the long-term RTT) shrinks it by at
//!   most half. When the long-term RTT is more than twice a sample (recovery
//!   after a long overload) it decays by 5% per sample. While fewer than
//!   half the limit are in flight (app-limited) the limit does not grow, but
//!   a latency rise still shrinks it. Netflix's `Gradient2Limit` returns
//!   before either (its comment names growth only), which leaves a limit
//!   learned at low load far above what the service takes, so at a step up
//!   in load a queue builds unchecked until half that limit is in flight.
//!   A slow sample admitted with more in flight than the estimate now allows
//!   does not shrink it either: it measured a queue the limit has already
//!   cut, and cutting again for each answer that queue drains (TCP cuts its
//!   window once per round trip, not once per late packet) would leave the
//!   limit far below what the service takes.
//!   There is no minimum-RTT probe: Envoy's gradient controller re-measures
//!   its minimum RTT by pinning concurrency to a few requests for a while,
//!   which users see as periodic throughput dips and 503 bursts; Gradient2
//!   tracks its baseline continuously instead.
//! - **Vegas**. The queue implied by `limit x (1 - rtt_noload / rtt)` against
//!   thresholds that scale with `log10(limit)`: grow fast below one step,
//!   grow below `alpha` steps, shrink above `beta` steps or on a drop. The
//!   no-load RTT is the smallest sample, re-taken from a sample every
//!   `probe_multiplier x limit` samples so it can rise (Netflix jitters that
//!   period at random; here it is exact, which keeps decisions reproducible).
//!   The step is at least 1 (Netflix's is 0 below a limit of 10, where the
//!   limit then cannot grow).
//! - **AIMD**. `+1` per sample while at least half the limit is in use,
//!   `x backoff_ratio` on a drop or a sample slower than `timeout_ns`.
//!
//! Each release updates the limit at once (Netflix's `SimpleLimiter` over a
//! bare limit); a host that wants Netflix's `WindowedLimit` aggregates RTTs
//! over a window and releases with the window's figure.
//!
//! Server side, acquire on arrival and refuse when not admitted (a 503 or a
//! gRPC `RESOURCE_EXHAUSTED`), release with the handler's time; client side,
//! acquire before calling a dependency and release with the call's RTT,
//! `Dropped` on a timeout or an overload answer (429/503), `Ignored` for
//! calls that never reached it.
//!
//! ```
//! use weir_core::adaptive_limit::{AdaptiveLimitConfig, AtomicAdaptiveLimit, Outcome};
//! use weir_core::MILLISECOND;
//! let limit = AtomicAdaptiveLimit::new(AdaptiveLimitConfig::default()).unwrap();
//! let permits: Vec<_> = (0..20).map(|_| limit.acquire().permit.unwrap()).collect();
//! assert!(limit.acquire().permit.is_none(), "20 in flight is the initial limit");
//! for p in permits {
//!     limit.release(p, 10 * MILLISECOND, Outcome::Success);
//! }
//! assert!(limit.stats().limit > 20, "steady latency with the limit in use lets it grow");
//! ```
//!
//! ## Where the state lives
//!
//! The limit in force and the count in flight share one word (the gate), so
//! admission is one compare-exchange that checks and counts: no interleaving
//! of [`AtomicAdaptiveLimit`] callers admits past the limit in force. The
//! algorithm's numbers (sample count, baseline RTT, estimate) are one word
//! each; a sample updates each by compare-exchange, so none is lost, and the
//! release publishes the estimate's limit into the gate with the same
//! compare-exchange that frees its slot. [`AdaptiveLimit`] is the same code
//! over plain words for one thread.

mod algorithm;
mod cell;
mod config;

pub use cell::{AdaptiveLimit, AdaptiveLimitStats, Admission, AtomicAdaptiveLimit, Outcome, Permit};
pub use config::{AdaptiveLimitConfig, AdaptiveLimitKernel, Algorithm, MAX_LIMIT, WARMUP_SAMPLES};
