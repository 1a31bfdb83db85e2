//! Client-side adaptive throttling from Google's SRE book ("Handling
//! Overload"): a client that sees its backend refuse work starts refusing
//! locally, with probability
//!
//! `p = max(0, (requests - k * accepts) / (requests + 1))`, capped at
//! `max_reject_probability`,
//!
//! over a rolling window. Locally refused requests count as requests, as in
//! the book, so `p` keeps rising while the backend keeps failing and falls as
//! soon as admitted requests succeed again. An admitted request that never
//! reaches the backend (the host's own later step refused it) is taken back
//! with `forget`: the host's refusals are not the backend's. The caller
//! supplies the random draw, so a decision is reproducible.
//!
//! | default | weir | aegis sre | go-zero | Envoy admission_control |
//! |---|---|---|---|---|
//! | k | 2.0 (the book's) | 1/0.6 ≈ 1.67 | 1.5 | success rate 95% |
//! | window / buckets | 10 s / 40 | 3 s / 10 | 10 s / 40 | 30 s |
//! | minimum requests | 20 | 100 | 5 | 0 (rps threshold) |
//! | max rejection | 0.9 | 1.0 | 1.0 | 0.8 |

mod cell;
mod kernel;

pub use cell::{AtomicThrottle, Throttle};
pub use kernel::{ThrottleConfig, ThrottleKernel, ThrottleStats};
