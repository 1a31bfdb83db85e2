//! The random draws core's throttle and picker take as arguments.
//!
//! splitmix64: one add and a mix per draw, full period, good enough to make
//! refusals and pair choices unbiased; nothing here needs unpredictability.

use std::cell::Cell;
use std::hash::{BuildHasher, Hasher};

#[derive(Debug)]
pub struct Rng(Cell<u64>);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(Cell::new(seed))
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
        let s = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
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
