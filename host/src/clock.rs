#[cfg(not(miri))]
use std::sync::OnceLock;
use weir_core::Nanos;

/// Nanoseconds of `CLOCK_MONOTONIC`, read by the kernel (a vDSO call, 20-50 ns
/// on virtual machines). Machine-wide: every process agrees on it.
#[inline]
pub fn kernel_monotonic_now() -> Nanos {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_MONOTONIC is
    // supported on every platform the host crate builds for; on failure the
    // struct stays zeroed, which reads as time 0 (decisions fail closed).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

#[cfg(not(miri))]
struct Anchored {
    clock: quanta::Clock,
    raw_at_anchor: u64,
    monotonic_at_anchor: Nanos,
}

#[cfg(not(miri))]
static CLOCK: OnceLock<Anchored> = OnceLock::new();

#[cfg(not(miri))]
#[inline]
fn anchored() -> &'static Anchored {
    CLOCK.get_or_init(|| {
        let clock = quanta::Clock::new();
        let raw_at_anchor = clock.raw();
        Anchored { clock, raw_at_anchor, monotonic_at_anchor: kernel_monotonic_now() }
    })
}

/// Nanoseconds on `CLOCK_MONOTONIC`'s scale, read from the CPU's invariant
/// time-stamp counter (calibrated once per process; quanta falls back to the
/// kernel clock where there is no usable TSC). A few nanoseconds instead of a
/// vDSO call: the clock read is most of a decision's cost in every host.
/// Anchored to `CLOCK_MONOTONIC` at first use, so values from different
/// processes start out agreeing; they then drift apart by the calibration
/// error (1-2.5 ppm measured here), so state that several processes decide
/// on at once (a [`crate::SharedLimiter`]) uses [`kernel_monotonic_now`].
#[cfg(not(miri))]
#[inline]
pub fn monotonic_now() -> Nanos {
    let anchored = anchored();
    let elapsed = anchored.clock.delta_as_nanos(anchored.raw_at_anchor, anchored.clock.raw());
    anchored.monotonic_at_anchor.saturating_add(elapsed)
}

/// The counter [`monotonic_now`] reads, when a binding can read the same one
/// itself (one instruction, no call into the library) and hand the raw
/// value to [`monotonic_from_ticks`]: the clock stays chosen and scaled here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ticks {
    /// Nothing a binding can read: ask the library for the time.
    None,
    /// The x86-64 time-stamp counter, as `rdtsc` returns it.
    X86Tsc,
}

/// Which counter [`monotonic_now`] reads. Checked, not assumed: a counter
/// read on either side of the clock's own raw read must bracket it.
#[cfg(not(miri))]
pub fn ticks() -> Ticks {
    static TICKS: OnceLock<Ticks> = OnceLock::new();
    *TICKS.get_or_init(|| {
        // A few tries: a thread moved between two cores whose counters
        // differ slightly could miss once. A clock on another source (the
        // kernel's nanoseconds) is orders of magnitude off every time.
        #[cfg(target_arch = "x86_64")]
        for _ in 0..3 {
            let clock = &anchored().clock;
            // SAFETY: `rdtsc` reads a counter; x86-64 always has it.
            let before = unsafe { core::arch::x86_64::_rdtsc() };
            let raw = clock.raw();
            // SAFETY: as above.
            let after = unsafe { core::arch::x86_64::_rdtsc() };
            if before <= raw && raw <= after {
                return Ticks::X86Tsc;
            }
        }
        Ticks::None
    })
}

/// Under Miri there is no counter to read.
#[cfg(miri)]
pub fn ticks() -> Ticks {
    Ticks::None
}

/// The [`monotonic_now`] reading of a raw counter value read when
/// [`ticks`] is not [`Ticks::None`].
#[cfg(not(miri))]
#[inline]
pub fn monotonic_from_ticks(raw: u64) -> Nanos {
    let anchored = anchored();
    anchored.monotonic_at_anchor.saturating_add(anchored.clock.delta_as_nanos(anchored.raw_at_anchor, raw))
}

/// Under Miri there are no ticks; a value is taken as nanoseconds already.
#[cfg(miri)]
pub fn monotonic_from_ticks(raw: u64) -> Nanos {
    raw
}

/// Under Miri there is no TSC to read; the kernel clock is what Miri emulates.
#[cfg(miri)]
#[inline]
pub fn monotonic_now() -> Nanos {
    kernel_monotonic_now()
}

/// A clock a primitive's state is decided on. Which one each state reads is
/// chosen here, through [`Clocked`], for every binding's calls that read the
/// time for the caller (the C ABI's `_now` twins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// [`monotonic_now`]: state one process owns.
    Process,
    /// [`kernel_monotonic_now`]: state several processes decide on at once,
    /// which must all read one clock (their TSC calibrations drift apart).
    Machine,
}

impl Clock {
    /// Reads this clock.
    #[inline(always)]
    pub fn now(self) -> Nanos {
        match self {
            Clock::Process => monotonic_now(),
            Clock::Machine => kernel_monotonic_now(),
        }
    }
}

/// State decided on one [`Clock`]: process-local unless its impl here says
/// otherwise. A binding's handle over such state takes its clock with
/// `const CLOCK: Clock = <State as Clocked>::CLOCK` (or the default).
pub trait Clocked {
    /// The clock this state's decisions read.
    const CLOCK: Clock = Clock::Process;
}

/// Every process mapping the file decides on it.
#[cfg(unix)]
impl Clocked for crate::SharedLimiter {
    const CLOCK: Clock = Clock::Machine;
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
    fn tracks_the_kernel_clock() {
        let _ = monotonic_now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let (fast, kernel) = (monotonic_now(), kernel_monotonic_now());
        let drift = fast.abs_diff(kernel);
        assert!(drift < 5_000_000, "TSC clock {fast} vs kernel {kernel}: {drift} ns apart");
    }

    #[test]
    fn ticks_read_outside_scale_like_the_clock() {
        #[cfg(target_arch = "x86_64")]
        if ticks() == Ticks::X86Tsc {
            let before = monotonic_now();
            // SAFETY: `rdtsc` reads a counter; x86-64 always has it.
            let raw = unsafe { core::arch::x86_64::_rdtsc() };
            let after = monotonic_now();
            let at = monotonic_from_ticks(raw);
            assert!(before <= at && at <= after, "{before} <= {at} <= {after}");
            return;
        }
        assert_eq!(ticks(), Ticks::None);
    }

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
