//! Retry budget: retries may be at most `ratio` of the requests seen over a
//! rolling window, plus a floor of `min_per_second` so a quiet client can
//! still retry at all (tower's `TpsBudget`, Envoy's `retry_budget`).
//!
//! The window is a ring of buckets, each one `u64` (`seq:24 | requests:20 |
//! retries:20`). [`AtomicRetryBudget::withdraw`] checks the whole window and
//! counts the retry in one compare-exchange on the current bucket, so two
//! threads can never both take the last retry: retries in the window never
//! exceed `floor(ratio * requests) + min_per_second * window seconds`.
//!
//! [`retry`] puts backoff and budget together and answers with one reason:
//! attempts exhausted, deadline too close, or budget exhausted.
//!
//! ```
//! use weir_core::budget::{AtomicRetryBudget, RetryBudgetConfig};
//! let budget = AtomicRetryBudget::new(RetryBudgetConfig { min_per_second: 0, ..Default::default() }).unwrap();
//! for _ in 0..20 { budget.deposit(0); }
//! assert!(budget.withdraw(0, 0, u64::MAX).is_admitted());
//! assert!(budget.withdraw(0, 0, u64::MAX).is_admitted());
//! assert_eq!(budget.withdraw(0, 0, u64::MAX).reason.as_str(), "budget_exhausted");
//! ```

mod cell;
mod kernel;
mod retry;

pub use cell::{AtomicRetryBudget, RetryBudget};
pub use kernel::{BudgetKernel, RetryBudgetConfig, COUNTER_MAX, MAX_BUCKETS};
pub use retry::{retry, RetryAsk, RetryDecision, RetrySpend, Unbudgeted};
