use super::kernel::{ThrottleConfig, ThrottleKernel, ThrottleStats};
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::window::{PlainWindow, Window};
use crate::{ConfigError, Decision, Nanos};

/// The sums over *finished* buckets do not change while the current bucket
/// runs, so they are folded once per bucket and cached, one word per sum, as
/// `VALID | seq << 39 | sum`; each decision then adds only the current
/// bucket. A write that lands in any bucket but the cached one empties the
/// cache, so a sequential caller sees exactly what a full fold gives.
const VALID: u64 = 1 << 63;
const SUM_MASK: u64 = (1 << 39) - 1;

const fn cache_word(seq: u64, sum: u64) -> u64 {
    VALID | (seq << 39) | (sum & SUM_MASK)
}

const fn cached(word: u64, seq: u64) -> Option<u64> {
    if word & VALID != 0 && (word >> 39) & 0xFF_FFFF == seq {
        Some(word & SUM_MASK)
    } else {
        None
    }
}

/// The throttle for many threads: lock-free window words.
#[derive(Debug)]
pub struct AtomicThrottle {
    kernel: ThrottleKernel,
    window: Window,
    finished_requests: AtomicU64,
    finished_accepts: AtomicU64,
}

impl AtomicThrottle {
    /// A throttle with an empty window.
    pub fn new(config: ThrottleConfig) -> Result<Self, ConfigError> {
        let kernel = ThrottleKernel::new(config)?;
        Ok(Self {
            window: Window::new(kernel.geometry, 0),
            kernel,
            finished_requests: atomic_u64(0),
            finished_accepts: atomic_u64(0),
        })
    }

    fn counts(&self, now: Nanos) -> (u64, u64) {
        let seq = self.window.geometry().seq(now);
        let requests = cached(self.finished_requests.load(Ordering::Relaxed), seq);
        let accepts = cached(self.finished_accepts.load(Ordering::Relaxed), seq);
        let (requests, accepts) = match (requests, accepts) {
            (Some(r), Some(a)) => (r, a),
            _ => {
                let (r, a) = self.window.fold(now, 1, (0, 0), ThrottleKernel::sum);
                self.finished_requests.store(cache_word(seq, r), Ordering::Relaxed);
                self.finished_accepts.store(cache_word(seq, a), Ordering::Relaxed);
                (r, a)
            }
        };
        let current = self.window.current(now);
        (requests + current.a, accepts + current.b)
    }

    fn invalidate_unless_current(&self, now: Nanos) {
        let seq = self.window.geometry().seq(now);
        let word = self.finished_requests.load(Ordering::Relaxed);
        if word != 0 && cached(word, seq).is_none() {
            self.finished_requests.store(0, Ordering::Relaxed);
            self.finished_accepts.store(0, Ordering::Relaxed);
        }
    }

    /// Decides whether to send a request at `now`, given a uniform random
    /// `draw`. The request is counted either way. When admitted, report the
    /// backend's answer with [`Self::record`], or take the request back with
    /// [`Self::forget`] if it never reaches the backend.
    #[inline]
    pub fn acquire(&self, now: Nanos, draw: u64) -> Decision {
        let (requests, accepts) = self.counts(now);
        let decision = self.kernel.decide(self.kernel.reject_probability(requests, accepts), draw);
        self.window.update(now, ThrottleKernel::count_request);
        self.invalidate_unless_current(now);
        decision
    }

    /// Reports the outcome of an admitted request: `success` when the
    /// backend accepted it (answered at all, in the book's sense).
    #[inline]
    pub fn record(&self, now: Nanos, success: bool) {
        if success {
            self.window.update(now, ThrottleKernel::count_accept);
            self.invalidate_unless_current(now);
        }
    }

    /// Takes back a request admitted at `acquired_at` that never reached
    /// the backend (a later step of the host refused it, or it was
    /// cancelled before sending): it counts as neither a request nor a
    /// failure, so the host's own refusals never raise `p`. Call it instead
    /// of [`Self::record`]. A request whose bucket's slot was recycled is
    /// gone already, and forgetting it changes nothing.
    #[inline]
    pub fn forget(&self, acquired_at: Nanos) {
        if self.window.amend(acquired_at, ThrottleKernel::uncount_request) {
            // The bucket may be one the cached sums hold.
            self.invalidate_unless_current(acquired_at);
        }
    }

    /// The window's counts at `now`.
    pub fn stats(&self, now: Nanos) -> ThrottleStats {
        let (requests, accepts) = self.window.fold(now, 0, (0, 0), ThrottleKernel::sum);
        ThrottleStats { requests, accepts, reject_probability: self.kernel.reject_probability(requests, accepts) }
    }
}

/// The throttle for one thread.
#[derive(Debug, Clone)]
pub struct Throttle {
    kernel: ThrottleKernel,
    window: PlainWindow,
}

impl Throttle {
    /// A throttle with an empty window.
    pub fn new(config: ThrottleConfig) -> Result<Self, ConfigError> {
        let kernel = ThrottleKernel::new(config)?;
        Ok(Self { window: PlainWindow::new(kernel.geometry, 0), kernel })
    }

    /// As [`AtomicThrottle::acquire`].
    pub fn acquire(&mut self, now: Nanos, draw: u64) -> Decision {
        let (requests, accepts) = self.window.fold(now, 0, (0, 0), ThrottleKernel::sum);
        let decision = self.kernel.decide(self.kernel.reject_probability(requests, accepts), draw);
        self.window.update(now, ThrottleKernel::count_request);
        decision
    }

    /// As [`AtomicThrottle::record`].
    pub fn record(&mut self, now: Nanos, success: bool) {
        if success {
            self.window.update(now, ThrottleKernel::count_accept);
        }
    }

    /// As [`AtomicThrottle::forget`].
    pub fn forget(&mut self, acquired_at: Nanos) {
        self.window.amend(acquired_at, ThrottleKernel::uncount_request);
    }

    /// As [`AtomicThrottle::stats`].
    pub fn stats(&self, now: Nanos) -> ThrottleStats {
        let (requests, accepts) = self.window.fold(now, 0, (0, 0), ThrottleKernel::sum);
        ThrottleStats { requests, accepts, reject_probability: self.kernel.reject_probability(requests, accepts) }
    }
}
