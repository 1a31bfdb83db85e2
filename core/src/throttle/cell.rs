use super::kernel::{ThrottleConfig, ThrottleKernel, ThrottleStats};
use crate::window::{PlainWindow, Window};
use crate::{ConfigError, Decision, Nanos};

/// The throttle for many threads: lock-free window words.
#[derive(Debug)]
pub struct AtomicThrottle {
    kernel: ThrottleKernel,
    window: Window,
}

impl AtomicThrottle {
    /// A throttle with an empty window.
    pub fn new(config: ThrottleConfig) -> Result<Self, ConfigError> {
        let kernel = ThrottleKernel::new(config)?;
        Ok(Self { window: Window::new(kernel.geometry, 0), kernel })
    }

    /// Decides whether to send a request at `now`, given a uniform random
    /// `draw`. The request is counted either way. When admitted, report the
    /// backend's answer with [`Self::record`].
    #[inline]
    pub fn acquire(&self, now: Nanos, draw: u64) -> Decision {
        let (requests, accepts) = self.window.fold(now, 0, (0, 0), ThrottleKernel::sum);
        let decision = self.kernel.decide(self.kernel.reject_probability(requests, accepts), draw);
        self.window.update(now, ThrottleKernel::count_request);
        decision
    }

    /// Reports the outcome of an admitted request: `success` when the
    /// backend accepted it (answered at all, in the book's sense).
    #[inline]
    pub fn record(&self, now: Nanos, success: bool) {
        if success {
            self.window.update(now, ThrottleKernel::count_accept);
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

    /// As [`AtomicThrottle::stats`].
    pub fn stats(&self, now: Nanos) -> ThrottleStats {
        let (requests, accepts) = self.window.fold(now, 0, (0, 0), ThrottleKernel::sum);
        ThrottleStats { requests, accepts, reject_probability: self.kernel.reject_probability(requests, accepts) }
    }
}
