use super::kernel::{ShedderConfig, ShedderKernel, ShedderStats};
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::window::{PlainWindow, Window};
use crate::word::{Measured, Order, Word};
use crate::{ConfigError, Decision, Nanos};

/// `last_shed` is stored plus one so that 0 can mean "never".
const NEVER: u64 = 0;

fn decode_shed(word: u64) -> Option<Nanos> {
    word.checked_sub(1)
}

/// The in-flight estimate depends only on *finished* buckets, which do not
/// change while the current bucket runs, so it is folded once per bucket and
/// cached as `VALID | seq << 39 | estimate`. A `done` that lands in any other
/// bucket than the cached one empties the cache, so a sequential caller sees
/// exactly what a fresh fold would give.
const VALID: u64 = 1 << 63;
const ESTIMATE_MASK: u64 = (1 << 39) - 1;

const fn cache_word(seq: u64, estimate: u64) -> u64 {
    VALID | (seq << 39) | if estimate > ESTIMATE_MASK { ESTIMATE_MASK } else { estimate }
}

const fn cached(word: u64, seq: u64) -> Option<u64> {
    if word & VALID != 0 && (word >> 39) & 0xFF_FFFF == seq {
        Some(word & ESTIMATE_MASK)
    } else {
        None
    }
}

/// The shedder for many threads. In-flight admission is one compare-exchange
/// (so `max_queue` is exact); the window and the CPU are lock-free words.
#[derive(Debug)]
pub struct AtomicShedder {
    kernel: ShedderKernel,
    window: Window,
    in_flight: AtomicU64,
    cpu_bits: AtomicU64,
    last_shed: AtomicU64,
    estimate: AtomicU64,
}

impl AtomicShedder {
    /// A shedder that has seen nothing (CPU 0, empty window).
    pub fn new(config: ShedderConfig) -> Result<Self, ConfigError> {
        let kernel = ShedderKernel::new(config)?;
        Ok(Self {
            window: Window::new(kernel.geometry, ShedderKernel::rt_init()),
            kernel,
            in_flight: atomic_u64(0),
            cpu_bits: atomic_u64(0f64.to_bits()),
            last_shed: atomic_u64(NEVER),
            estimate: atomic_u64(0),
        })
    }

    /// Asks to start a request at `now`. When admitted the caller must call
    /// [`Self::done`] exactly once with the same `now` as `started_at`.
    #[inline]
    pub fn acquire(&self, now: Nanos) -> Decision {
        self.acquire_after(now, 0)
    }

    /// [`Self::acquire`] for a host that has just recorded `ended` requests'
    /// response times with [`Self::record_late`]: they leave in-flight in
    /// the compare-exchange that decides, so the decision counts them out
    /// and ending them costs no atomic operation of its own.
    #[inline]
    pub fn acquire_after(&self, now: Nanos, ended: u64) -> Decision {
        let cpu = f64::from_bits(self.cpu_bits.load(Ordering::Relaxed));
        let cooling = self.kernel.cooling_off(decode_shed(self.last_shed.load(Ordering::Relaxed)), now);
        let estimate = self.estimate(now);
        self.in_flight.measure_and_replace(
            Order::Relaxed,
            #[inline(always)]
            |current| {
                let live = current.saturating_sub(ended);
                match self.kernel.decide(live, cpu, cooling, estimate) {
                    Some((decision, starts_cool_off)) => {
                        if starts_cool_off {
                            self.last_shed.fetch_max(now.saturating_add(1), Ordering::Relaxed);
                        }
                        if live == current {
                            return Measured::Keep(decision);
                        }
                        Measured::Replace(decision, live)
                    }
                    None => {
                        let admitted = live.saturating_add(1);
                        Measured::Replace(Decision::admit(estimate.saturating_sub(admitted), 0), admitted)
                    }
                }
            },
        )
    }

    /// Ends a request admitted at `started_at`, recording its response time.
    #[inline]
    pub fn done(&self, started_at: Nanos, now: Nanos) {
        self.cancel();
        self.record(started_at, now);
    }

    /// Records the response time of a request that ended at `ended_at`,
    /// reported only at `now`, without taking it out of in-flight (see
    /// [`Self::acquire_after`]). Its bucket is written only while it is
    /// still inside the window at `now`: one that has left it can no longer
    /// count for any decision at `now` or later, and writing it would land
    /// in the newer bucket that has taken its slot. So a batch recorded
    /// late, in any order, leaves the window as the same ends reported on
    /// time would have.
    #[inline]
    pub fn record_late(&self, started_at: Nanos, ended_at: Nanos, now: Nanos) {
        let geometry = self.window.geometry();
        let left_window = now.saturating_sub(ended_at) >= geometry.bucket_ns()
            && now / geometry.bucket_ns() - ended_at / geometry.bucket_ns() >= geometry.buckets();
        if !left_window {
            self.record(started_at, ended_at);
        }
    }

    #[inline]
    fn record(&self, started_at: Nanos, now: Nanos) {
        self.window.update(now, ShedderKernel::record(now.saturating_sub(started_at)));
        let seq = self.window.geometry().seq(now);
        let word = self.estimate.load(Ordering::Relaxed);
        if word != 0 && cached(word, seq).is_none() {
            self.estimate.store(0, Ordering::Relaxed);
        }
    }

    /// Ends an admitted request without recording a response time: for
    /// requests that never reached the service (refused later in the host's
    /// chain, cancelled before sending). Recording them would teach the
    /// shedder a near-zero minimum RT and make it shed too much.
    #[inline]
    pub fn cancel(&self) {
        self.in_flight.update_in(Order::Relaxed, |current| current.saturating_sub(1));
    }

    fn estimate(&self, now: Nanos) -> u64 {
        let seq = self.window.geometry().seq(now);
        if let Some(estimate) = cached(self.estimate.load(Ordering::Relaxed), seq) {
            return estimate;
        }
        let (max_pass, min_rt) =
            ShedderKernel::capacity(self.window.fold(now, 1, (0, u64::MAX), ShedderKernel::fold_bucket));
        let estimate = self.kernel.max_in_flight(max_pass, min_rt);
        self.estimate.store(cache_word(seq, estimate), Ordering::Relaxed);
        estimate
    }

    /// Folds a CPU sample (permille) into the smoothed CPU; returns the new value.
    #[inline]
    pub fn record_cpu(&self, sample_permille: u64) -> f64 {
        self.cpu_bits.measure_and_replace(
            Order::Relaxed,
            #[inline(always)]
            |current| {
                let next = self.kernel.smooth_cpu(f64::from_bits(current), sample_permille);
                Measured::Replace(next, next.to_bits())
            },
        )
    }

    /// What the shedder knows at `now`.
    pub fn stats(&self, now: Nanos) -> ShedderStats {
        let (max_pass, min_rt_ns) =
            ShedderKernel::capacity(self.window.fold(now, 1, (0, u64::MAX), ShedderKernel::fold_bucket));
        ShedderStats {
            in_flight: self.in_flight.load(Ordering::Relaxed),
            cpu: f64::from_bits(self.cpu_bits.load(Ordering::Relaxed)),
            max_pass,
            min_rt_ns,
            max_in_flight: self.kernel.max_in_flight(max_pass, min_rt_ns),
            cooling_off: self.kernel.cooling_off(decode_shed(self.last_shed.load(Ordering::Relaxed)), now),
        }
    }
}

/// The shedder for one thread.
#[derive(Debug, Clone)]
pub struct Shedder {
    kernel: ShedderKernel,
    window: PlainWindow,
    in_flight: u64,
    cpu: f64,
    last_shed: Option<Nanos>,
}

impl Shedder {
    /// A shedder that has seen nothing.
    pub fn new(config: ShedderConfig) -> Result<Self, ConfigError> {
        let kernel = ShedderKernel::new(config)?;
        Ok(Self {
            window: PlainWindow::new(kernel.geometry, ShedderKernel::rt_init()),
            kernel,
            in_flight: 0,
            cpu: 0.0,
            last_shed: None,
        })
    }

    /// As [`AtomicShedder::acquire`].
    pub fn acquire(&mut self, now: Nanos) -> Decision {
        let cooling = self.kernel.cooling_off(self.last_shed, now);
        let (max_pass, min_rt) =
            ShedderKernel::capacity(self.window.fold(now, 1, (0, u64::MAX), ShedderKernel::fold_bucket));
        let estimate = self.kernel.max_in_flight(max_pass, min_rt);
        if let Some((decision, starts_cool_off)) = self.kernel.decide(self.in_flight, self.cpu, cooling, estimate) {
            if starts_cool_off {
                self.last_shed = Some(self.last_shed.map_or(now, |t| t.max(now)));
            }
            return decision;
        }
        self.in_flight = self.in_flight.saturating_add(1);
        Decision::admit(estimate.saturating_sub(self.in_flight), 0)
    }

    /// As [`AtomicShedder::done`].
    pub fn done(&mut self, started_at: Nanos, now: Nanos) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.window.update(now, ShedderKernel::record(now.saturating_sub(started_at)));
    }

    /// As [`AtomicShedder::cancel`].
    pub fn cancel(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// As [`AtomicShedder::record_cpu`].
    pub fn record_cpu(&mut self, sample_permille: u64) -> f64 {
        self.cpu = self.kernel.smooth_cpu(self.cpu, sample_permille);
        self.cpu
    }

    /// As [`AtomicShedder::stats`].
    pub fn stats(&self, now: Nanos) -> ShedderStats {
        let (max_pass, min_rt_ns) =
            ShedderKernel::capacity(self.window.fold(now, 1, (0, u64::MAX), ShedderKernel::fold_bucket));
        ShedderStats {
            in_flight: self.in_flight,
            cpu: self.cpu,
            max_pass,
            min_rt_ns,
            max_in_flight: self.kernel.max_in_flight(max_pass, min_rt_ns),
            cooling_off: self.kernel.cooling_off(self.last_shed, now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MILLISECOND;

    // 10 buckets of 100 ms: a 1 s window.
    fn shedder() -> AtomicShedder {
        let config = ShedderConfig { window_ns: 1_000 * MILLISECOND, buckets: 10, ..ShedderConfig::default() };
        AtomicShedder::new(config).unwrap()
    }

    fn done_late(s: &AtomicShedder, started_at: Nanos, ended_at: Nanos, now: Nanos) {
        s.cancel();
        s.record_late(started_at, ended_at, now);
    }

    fn admitted(s: &AtomicShedder, at: Nanos) {
        assert!(s.acquire(at).reason == crate::Reason::Admitted);
    }

    #[test]
    fn a_late_end_inside_the_window_counts_as_on_time() {
        let (on_time, late) = (shedder(), shedder());
        for s in [&on_time, &late] {
            admitted(s, 0);
            admitted(s, 0);
        }
        on_time.done(0, 150 * MILLISECOND);
        on_time.done(0, 20 * MILLISECOND);
        // Reported at 900 ms, newest first: both buckets are still in the window.
        done_late(&late, 0, 150 * MILLISECOND, 900 * MILLISECOND);
        done_late(&late, 0, 20 * MILLISECOND, 900 * MILLISECOND);
        let now = 950 * MILLISECOND;
        assert_eq!(on_time.stats(now), late.stats(now));
        assert_eq!(late.stats(now).in_flight, 0);
        assert_eq!(late.stats(now).min_rt_ns, 20 * MILLISECOND);
    }

    #[test]
    fn a_late_end_whose_bucket_left_the_window_only_leaves_in_flight() {
        let (on_time, late) = (shedder(), shedder());
        for s in [&on_time, &late] {
            admitted(s, 0);
            admitted(s, 0);
        }
        // The 20 ms end's bucket (0) and the 1.05 s end's bucket (10) share a slot.
        on_time.done(0, 20 * MILLISECOND);
        on_time.done(1_000 * MILLISECOND, 1_050 * MILLISECOND);
        done_late(&late, 1_000 * MILLISECOND, 1_050 * MILLISECOND, 1_060 * MILLISECOND);
        done_late(&late, 0, 20 * MILLISECOND, 1_060 * MILLISECOND);
        for now in [1_060 * MILLISECOND, 1_150 * MILLISECOND, 1_500 * MILLISECOND] {
            assert_eq!(on_time.stats(now), late.stats(now), "at {now}");
        }
        assert_eq!(late.stats(1_150 * MILLISECOND).min_rt_ns, 50 * MILLISECOND);
        assert_eq!(late.stats(1_150 * MILLISECOND).in_flight, 0);
    }

    #[test]
    fn acquire_after_counts_the_ended_out_before_it_decides() {
        let config = ShedderConfig { max_queue: 3, cpu_decay: 0.0, ..ShedderConfig::default() };
        let (by_done, by_count) = (AtomicShedder::new(config).unwrap(), AtomicShedder::new(config).unwrap());
        for s in [&by_done, &by_count] {
            admitted(s, 0);
            admitted(s, 0);
        }
        by_done.done(0, 5 * MILLISECOND);
        by_count.record_late(0, 5 * MILLISECOND, 6 * MILLISECOND);
        assert_eq!(by_count.stats(6 * MILLISECOND).in_flight, 2, "recorded, still in flight");
        assert_eq!(by_done.acquire(6 * MILLISECOND), by_count.acquire_after(6 * MILLISECOND, 1));
        assert_eq!(by_done.stats(7 * MILLISECOND), by_count.stats(7 * MILLISECOND));
        // A refusal takes the ended out too: 2 left in flight, CPU over the threshold.
        for s in [&by_done, &by_count] {
            admitted(s, 7 * MILLISECOND);
            s.record_cpu(1000);
        }
        by_done.cancel();
        let (d, refused) = (by_done.acquire(8 * MILLISECOND), by_count.acquire_after(8 * MILLISECOND, 1));
        assert_eq!(d, refused);
        assert_eq!(refused.reason, crate::Reason::CpuOverloaded);
        assert_eq!(by_count.stats(8 * MILLISECOND).in_flight, 2);
        assert_eq!(by_done.stats(8 * MILLISECOND), by_count.stats(8 * MILLISECOND));
    }

    #[test]
    fn an_end_reported_before_it_happened_is_an_ordinary_done() {
        let (on_time, late) = (shedder(), shedder());
        for s in [&on_time, &late] {
            admitted(s, 0);
        }
        on_time.done(0, 300 * MILLISECOND);
        done_late(&late, 0, 300 * MILLISECOND, 100 * MILLISECOND);
        assert_eq!(on_time.stats(400 * MILLISECOND), late.stats(400 * MILLISECOND));
    }
}
