//! The node's recent demand, measured by the refill thread from a counter the
//! hot path bumps: a short ring of (time, total) samples.

use std::collections::VecDeque;

use weir_core::lease::Rate;

pub(crate) struct RateMeter {
    window_ns: u64,
    samples: VecDeque<(u64, u64)>,
}

impl RateMeter {
    pub fn new(window_ns: u64) -> Self {
        Self { window_ns, samples: VecDeque::with_capacity(64) }
    }

    /// Records `total` demand seen at `now` and returns the rate over the
    /// newest span that covers at least the window (or everything so far).
    pub fn sample(&mut self, now: u64, total: u64) -> Rate {
        self.samples.push_back((now, total));
        // Keep one sample at or before the window start as the base.
        while self.samples.len() > 2
            && self.samples.get(1).is_some_and(|(t, _)| now.saturating_sub(*t) >= self.window_ns)
        {
            self.samples.pop_front();
        }
        match self.samples.front() {
            Some(&(t, base)) if t < now => Rate { tokens: total.saturating_sub(base), over_ns: now - t },
            _ => Rate { tokens: 0, over_ns: 0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_spans_the_window_and_forgets_older_demand() {
        let mut m = RateMeter::new(100);
        assert_eq!(m.sample(0, 0), Rate { tokens: 0, over_ns: 0 });
        assert_eq!(m.sample(50, 500), Rate { tokens: 500, over_ns: 50 });
        assert_eq!(m.sample(100, 600), Rate { tokens: 600, over_ns: 100 });
        // The burst at 0..50 falls out once a newer base covers the window.
        assert_eq!(m.sample(160, 700), Rate { tokens: 200, over_ns: 110 });
        assert_eq!(m.sample(400, 700), Rate { tokens: 0, over_ns: 240 });
    }
}
