use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    // Distinct per thread and per process: the address of a thread-local and
    // the clock. Draws need to be uniform, not unpredictable.
    let local = 0u8;
    let addr = &local as *const u8 as u64;
    crate::monotonic_now() ^ addr.rotate_left(32) ^ u64::from(std::process::id()).rotate_left(17)
}

/// A uniform random `u64` for core's draws (throttle, picker, jitter):
/// splitmix64 over a per-thread state, ~1 ns, no lock, no syscall.
#[inline]
pub fn draw() -> u64 {
    STATE.with(|s| {
        let next = s.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        s.set(next);
        let mut z = next;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_cover_the_range_evenly() {
        let n = 100_000;
        let below_half = (0..n).filter(|_| draw() < u64::MAX / 2).count();
        assert!((45_000..55_000).contains(&below_half), "{below_half}");
    }
}
