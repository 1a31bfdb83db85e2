//! A caller-owned pseudo-random generator for hosts that have none (a wasm
//! VM, a microcontroller): core's decisions take their random draws as
//! arguments, and this is one cheap, portable way to make them.

/// SplitMix64: 64 bits of state, one add and three multiply-xorshifts per
/// draw, equidistributed over `u64`. Not for secrets; for jitter, p2c and
/// throttle draws it is plenty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started from `seed` (any value, 0 included).
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next uniform draw.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn matches_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference).
        let mut g = SplitMix64::new(0);
        assert_eq!(g.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(g.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn halves_are_balanced() {
        let mut g = SplitMix64::new(42);
        let low = (0..100_000).filter(|_| g.next_u64() < u64::MAX / 2).count();
        assert!((48_000..52_000).contains(&low), "{low}");
    }
}
