//! The random draws core's throttle and picker take as arguments: core's
//! SplitMix64, in a `Cell` because the filter's plan is shared read-only.

use std::cell::Cell;
use std::hash::{BuildHasher, Hasher};
use weir_core::random::SplitMix64;

#[derive(Debug)]
pub struct Rng(Cell<SplitMix64>);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(Cell::new(SplitMix64::new(seed)))
    }

    /// A seed that differs per VM: the host's randomness (WASI `random_get`,
    /// through std's hasher keys) mixed with the configure-time clock.
    pub fn seed(now: u64) -> u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(now);
        h.finish()
    }

    #[inline]
    pub fn next(&self) -> u64 {
        let mut generator = self.0.get();
        let draw = generator.next_u64();
        self.0.set(generator);
        draw
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn draws_spread_over_the_whole_range() {
        let rng = Rng::new(7);
        let high = (0..10_000).filter(|_| rng.next() > u64::MAX / 2).count();
        assert!((4_500..5_500).contains(&high), "{high}");
    }
}
