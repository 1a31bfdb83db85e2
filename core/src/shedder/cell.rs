use super::kernel::{ShedderConfig, ShedderKernel, ShedderStats};
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::window::{PlainWindow, Window};
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
        let cpu = f64::from_bits(self.cpu_bits.load(Ordering::Relaxed));
        let cooling = self.kernel.cooling_off(decode_shed(self.last_shed.load(Ordering::Relaxed)), now);
        let estimate = self.estimate(now);
        let mut current = self.in_flight.load(Ordering::Relaxed);
        loop {
            if let Some((decision, starts_cool_off)) = self.kernel.decide(current, cpu, cooling, estimate) {
                if starts_cool_off {
                    self.last_shed.fetch_max(now.saturating_add(1), Ordering::Relaxed);
                }
                return decision;
            }
            match self.in_flight.compare_exchange_weak(
                current,
                current.saturating_add(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Decision::admit(estimate.saturating_sub(current.saturating_add(1)), 0),
                Err(seen) => current = seen,
            }
        }
    }

    /// Ends a request admitted at `started_at`, recording its response time.
    #[inline]
    pub fn done(&self, started_at: Nanos, now: Nanos) {
        let mut current = self.in_flight.load(Ordering::Relaxed);
        while current > 0 {
            match self.in_flight.compare_exchange_weak(current, current - 1, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break,
                Err(seen) => current = seen,
            }
        }
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
        let mut current = self.in_flight.load(Ordering::Relaxed);
        while current > 0 {
            match self.in_flight.compare_exchange_weak(current, current - 1, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break,
                Err(seen) => current = seen,
            }
        }
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
        let mut current = self.cpu_bits.load(Ordering::Relaxed);
        loop {
            let next = self.kernel.smooth_cpu(f64::from_bits(current), sample_permille);
            match self.cpu_bits.compare_exchange_weak(current, next.to_bits(), Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return next,
                Err(seen) => current = seen,
            }
        }
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
