use std::time::Instant;

/// Nanoseconds since the limiter was built, on the monotonic clock: the
/// `now` every core call takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock(Instant);

impl Clock {
    pub fn new() -> Self {
        Clock(Instant::now())
    }

    #[inline]
    pub fn now(&self) -> u64 {
        // Starting at 1 keeps 0 free to mean "never" in lease expiries.
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX).saturating_add(1)
    }
}
