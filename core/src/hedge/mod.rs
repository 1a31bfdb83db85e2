//! Hedged requests: when the first copy of a request is slower than recent
//! latency says it should be, send another copy (to another node, chosen by
//! the host's picker) and take whichever answers first.
//!
//! The hedge delay is a configurable quantile of recent latency (by default
//! the p95 of a [`quantile`](crate::quantile) estimator's window), clamped
//! to `[floor_ns, ceiling_ns]`; while the estimator holds fewer than
//! `min_samples`, it is the ceiling. Hedge `i` (from 1) is due at
//! `started_at + i * delay`, at most `max_hedges` of them, and each spends
//! one retry of the shared [retry budget](crate::budget): hedges are retries
//! sent early, so they count against the same allowance and cannot multiply
//! load when the service is slow for everyone. A hedge that would be due at
//! or after the caller's deadline is not sent.
//!
//! The kernel is pure: the host passes `now`, what it knows of the request
//! and the estimator's reading, and gets [`HedgeAction::Send`] (budget
//! spent), [`HedgeAction::Wait`] until `due` (ask again then if no answer
//! came), or [`HedgeAction::Stop`] with the reason. The host deposits one
//! request in the budget per original request, records every answer's
//! latency (the winner's) in the estimator, and cancels the losers.
//!
//! | | weir | Envoy `hedge_policy` | Polly hedging | failsafe-go |
//! |---|---|---|---|---|
//! | when | recent quantile (p95), floor and ceiling | on per-try timeout (fixed) | fixed `Delay` or a generator | fixed delay or a function |
//! | how many | `max_hedges` (1) | `initial_requests` + 1 on timeout | `MaxHedgedAttempts` (1) | `maxHedges` (1) |
//! | budget | spends the retry budget | retry budget of the cluster | none | none |
//!
//! ```
//! use weir_core::budget::Unbudgeted;
//! use weir_core::hedge::{HedgeAction, HedgeAsk, HedgeConfig, HedgeKernel};
//! use weir_core::MILLISECOND;
//! let kernel = HedgeKernel::new(HedgeConfig::default()).unwrap();
//! let ask = HedgeAsk {
//!     started_at: 0,
//!     hedges_sent: 0,
//!     quantile_ns: Some(40 * MILLISECOND), // the recent p95
//!     samples: 1_000,
//!     deadline_left: u64::MAX,
//! };
//! let early = kernel.next(10 * MILLISECOND, &ask, &Unbudgeted);
//! assert_eq!((early.action, early.due), (HedgeAction::Wait, 40 * MILLISECOND));
//! assert_eq!(kernel.next(40 * MILLISECOND, &ask, &Unbudgeted).action, HedgeAction::Send);
//! let after = HedgeAsk { hedges_sent: 1, ..ask };
//! assert_eq!(kernel.next(90 * MILLISECOND, &after, &Unbudgeted).action, HedgeAction::Stop);
//! ```

mod kernel;

pub use kernel::{HedgeAction, HedgeAsk, HedgeConfig, HedgeDecision, HedgeKernel, MAX_HEDGES};
