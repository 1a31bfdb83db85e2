//! Adaptive overload protection, after the BBR-style shedder of
//! go-kratos/aegis, plus a hard cap on the in-flight queue.
//!
//! The shedder learns the service's capacity from the last window: the most
//! requests completed in one bucket (`max_pass`) and the shortest response time
//! (`min_rt`). By Little's law `max_pass * min_rt / bucket` requests in flight
//! is what the service sustains; more than that is queueing. When the CPU
//! (reported by the host, in permille) reaches the threshold, requests beyond
//! that in-flight estimate are shed, and for `cool_off_ns` after a shed the
//! estimate keeps being enforced even if the CPU dips, which stops flapping.
//! Independently, `max_queue` refuses anything past a fixed in-flight count.
//!
//! | default | weir | aegis bbr | go-zero |
//! |---|---|---|---|
//! | window / buckets | 10 s / 100 | 10 s / 100 | 5 s / 50 |
//! | CPU threshold (permille) | 800 | 800 | 900 |
//! | CPU smoothing (weight of the old value) | 0.95 | 0.95 | 0.95 |
//! | cool-off | 1 s | 1 s | 1 s |
//! | in-flight cap | off (0) | none | none |

mod cell;
mod kernel;

pub use cell::{AtomicShedder, Shedder};
pub use kernel::{ShedderConfig, ShedderKernel, ShedderStats};
