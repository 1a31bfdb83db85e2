use weir_core::Nanos;

/// Nanoseconds of `CLOCK_MONOTONIC`: machine-wide, so every process on a
/// host agrees on it (state shared between worker processes stays valid).
#[inline]
pub fn monotonic_now() -> Nanos {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_MONOTONIC is
    // supported on every platform the host crate builds for; on failure the
    // struct stays zeroed, which reads as time 0 (decisions fail closed).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

/// Measures elapsed time on the same clock, for response times.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    started: Nanos,
}

impl Stopwatch {
    /// Starts now.
    pub fn start() -> Self {
        Self { started: monotonic_now() }
    }

    /// When it started, as a `now` value for core.
    pub fn started_at(&self) -> Nanos {
        self.started
    }

    /// Nanoseconds since start.
    pub fn elapsed(&self) -> Nanos {
        monotonic_now().saturating_sub(self.started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_goes_backwards() {
        let mut last = monotonic_now();
        assert!(last > 0);
        for _ in 0..10_000 {
            let now = monotonic_now();
            assert!(now >= last);
            last = now;
        }
    }
}
