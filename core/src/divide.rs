//! Division by a divisor fixed at construction, without a `div` instruction
//! on the hot path (a 64-bit `div` costs 30-90 cycles; this is a multiply).

/// `n / d` for a `d` known in advance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Divisor {
    d: u64,
    /// `floor(2^64 / d)`, or 0 when `d == 1`.
    magic: u64,
}

impl Divisor {
    /// `d` must be at least 1; 0 is treated as 1.
    pub(crate) const fn new(d: u64) -> Self {
        let d = if d == 0 { 1 } else { d };
        let magic = if d == 1 { 0 } else { ((1u128 << 64) / d as u128) as u64 };
        Self { d, magic }
    }

    /// The precomputed reciprocal, for cells that store a divisor in atomics.
    #[inline]
    pub(crate) const fn magic(self) -> u64 {
        self.magic
    }

    /// A divisor from stored parts, or `None` unless `magic` is exactly the
    /// one [`Self::new`] computes for `d` (checked with two multiplications:
    /// `magic = floor(2^64 / d)` iff `magic * d <= 2^64 < (magic + 1) * d`).
    #[inline]
    pub(crate) fn from_parts(d: u64, magic: u64) -> Option<Self> {
        let exact = match d {
            0 => false,
            1 => magic == 0,
            _ => {
                let (d, m, two64) = (d as u128, magic as u128, 1u128 << 64);
                m * d <= two64 && (m + 1) * d > two64
            }
        };
        exact.then_some(Self { d, magic })
    }

    /// A divisor from parts [`Self::new`] produced in this process.
    #[inline]
    pub(crate) const fn from_trusted_parts(d: u64, magic: u64) -> Self {
        Self { d, magic }
    }

    #[inline]
    pub(crate) const fn get(self) -> u64 {
        self.d
    }

    /// `n / d`, rounded down.
    #[inline]
    pub(crate) const fn div(self, n: u64) -> u64 {
        if self.magic == 0 {
            return n;
        }
        // magic = 2^64/d - e with 0 <= e < 1, so n * magic / 2^64 falls
        // short of n/d by n*e/2^64 < 1: the estimate is the quotient or one less.
        let q = ((n as u128 * self.magic as u128) >> 64) as u64;
        // Wrapping: a divisor read torn from atomics (a caller that will
        // discard the answer) must give a wrong number, never a panic.
        if n.wrapping_sub(q.wrapping_mul(self.d)) >= self.d {
            q + 1
        } else {
            q
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Divisor;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_hardware_division(n in any::<u64>(), d in 1u64..) {
            prop_assert_eq!(Divisor::new(d).div(n), n / d);
        }

        #[test]
        fn matches_near_multiples(q in 0u64..1 << 32, d in 1u64..1 << 32, off in 0u64..3) {
            let n = (q * d).saturating_add(off).saturating_sub(1);
            prop_assert_eq!(Divisor::new(d).div(n), n / d);
        }
    }

    #[test]
    fn edges() {
        for d in [1, 2, 3, 7, 1 << 32, u64::MAX - 1, u64::MAX] {
            for n in [0, 1, d - 1, d, d.saturating_add(1), u64::MAX - 1, u64::MAX] {
                assert_eq!(Divisor::new(d).div(n), n / d, "{n} / {d}");
            }
        }
    }
}
