use super::algorithm::Sample;
use super::config::{AdaptiveLimitConfig, AdaptiveLimitKernel};
use crate::sync::AtomicU64;
use crate::word::{Measured, Order, Word};
use crate::{ConfigError, Decision, Nanos, Reason};
use core::cell::Cell;

/// How an admitted request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Outcome {
    /// It completed; its RTT is a sample.
    Success = 0,
    /// It was dropped: timed out, refused downstream, or failed in a way that
    /// signals overload. Its RTT is a sample and Vegas and AIMD shrink.
    Dropped = 1,
    /// It says nothing about capacity (cancelled, or refused before it
    /// reached the service): only its slot is freed.
    Ignored = 2,
}

impl Outcome {
    /// `"success"`, `"dropped"` or `"ignored"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Dropped => "dropped",
            Outcome::Ignored => "ignored",
        }
    }

    /// The outcome named by [`Self::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "success" => Some(Outcome::Success),
            "dropped" => Some(Outcome::Dropped),
            "ignored" => Some(Outcome::Ignored),
            _ => None,
        }
    }
}

/// Held by an admitted request until [`AtomicAdaptiveLimit::release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    /// Requests in flight once this one was admitted (itself included): the
    /// algorithms grow the limit only when it was being used.
    pub in_flight: u32,
}

/// The answer to [`AtomicAdaptiveLimit::acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// Admitted with `remaining` = slots left under the limit, or
    /// [`Reason::ConcurrencyLimited`] (`retry_after` 0: a slot frees when any
    /// request in flight ends, which core cannot foresee).
    pub decision: Decision,
    /// Present when admitted.
    pub permit: Option<Permit>,
}

/// What the limit has learned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveLimitStats {
    /// The limit in force.
    pub limit: u64,
    /// Requests admitted and not yet released.
    pub in_flight: u64,
    /// The fractional estimate behind the limit.
    pub estimate: f64,
    /// Gradient2's long-term RTT or Vegas's no-load RTT, ns (0 before any
    /// sample; unused by AIMD).
    pub baseline_rtt_ns: f64,
}

const IN_FLIGHT: u64 = u32::MAX as u64;

/// The gate: `limit:32 | in_flight:32`. Admission checks and counts in one
/// compare-exchange, so no interleaving admits past the limit in force.
#[inline]
const fn gate(limit: u64, in_flight: u64) -> u64 {
    (limit << 32) | (in_flight & IN_FLIGHT)
}

/// The limit's algorithm over any [`Word`] store: both cells are this type.
#[derive(Debug)]
struct Core<W: Word> {
    kernel: AdaptiveLimitKernel,
    gate: W,
    estimate: W,
    baseline: W,
    samples: W,
}

impl<W: Word> Core<W> {
    fn new(config: AdaptiveLimitConfig) -> Result<Self, ConfigError> {
        let kernel = AdaptiveLimitKernel::new(config)?;
        Ok(Self {
            gate: W::new(gate(kernel.initial, 0)),
            estimate: W::new((kernel.initial as f64).to_bits()),
            baseline: W::new(0f64.to_bits()),
            samples: W::new(0),
            kernel,
        })
    }

    #[inline]
    fn acquire(&self) -> Admission {
        self.gate.measure_and_replace(
            Order::Publish,
            #[inline(always)]
            |g| {
                let (limit, in_flight) = (g >> 32, g & IN_FLIGHT);
                if in_flight >= limit {
                    let decision = Decision::reject(Reason::ConcurrencyLimited, 0, 0, 0);
                    return Measured::Keep(Admission { decision, permit: None });
                }
                let permit = Permit { in_flight: (in_flight + 1) as u32 };
                let admitted = Admission { decision: Decision::admit(limit - in_flight - 1, 0), permit: Some(permit) };
                Measured::Replace(admitted, g + 1)
            },
        )
    }

    #[inline]
    fn release(&self, permit: Permit, rtt: Nanos, outcome: Outcome) -> u64 {
        if outcome != Outcome::Ignored {
            self.learn(Sample {
                rtt: rtt.max(1) as f64,
                in_flight: f64::from(permit.in_flight),
                dropped: outcome == Outcome::Dropped,
            });
        }
        // Free the slot and publish the estimate's limit in one step. The
        // estimate is read inside the loop: a release racing a newer sample
        // retries and publishes that sample's limit.
        self.gate.measure_and_replace(
            Order::Publish,
            #[inline(always)]
            |g| {
                let limit = self.kernel.limit_of(f64::from_bits(self.estimate.get()));
                Measured::Replace(limit, gate(limit, (g & IN_FLIGHT).saturating_sub(1)))
            },
        )
    }

    /// One sample through the three steps, each a compare-exchange of its
    /// own number; a step that changes nothing writes nothing.
    #[inline]
    fn learn(&self, s: Sample) {
        let k = &self.kernel;
        let estimate = f64::from_bits(self.estimate.get());
        let counted = self.samples.update(|c| k.count(c, estimate).0).0;
        let probe = k.count(counted, estimate).1;
        let (before, _) =
            self.baseline.update(|b| k.baseline(f64::from_bits(b), counted, probe, s.rtt).stored.to_bits());
        let base = k.baseline(f64::from_bits(before), counted, probe, s.rtt);
        if !base.keep_limit {
            self.estimate.update(|e| k.estimate(f64::from_bits(e), base.seen, s).to_bits());
        }
    }

    fn stats(&self) -> AdaptiveLimitStats {
        let g = self.gate.get();
        AdaptiveLimitStats {
            limit: g >> 32,
            in_flight: g & IN_FLIGHT,
            estimate: f64::from_bits(self.estimate.get()),
            baseline_rtt_ns: f64::from_bits(self.baseline.get()),
        }
    }
}

/// An adaptive concurrency limit for many threads.
#[derive(Debug)]
pub struct AtomicAdaptiveLimit {
    core: Core<AtomicU64>,
}

impl AtomicAdaptiveLimit {
    /// A limit at `initial_limit` that has seen no sample.
    pub fn new(config: AdaptiveLimitConfig) -> Result<Self, ConfigError> {
        Ok(Self { core: Core::new(config)? })
    }

    /// Takes a slot if fewer than the limit are in flight.
    #[inline]
    pub fn acquire(&self) -> Admission {
        self.core.acquire()
    }

    /// Ends the request of `permit`, which took `rtt` ns and ended as
    /// `outcome`; returns the limit now in force. A release with nothing in
    /// flight (no matching acquire) frees nothing but still teaches.
    #[inline]
    pub fn release(&self, permit: Permit, rtt: Nanos, outcome: Outcome) -> u64 {
        self.core.release(permit, rtt, outcome)
    }

    /// The limit, what is in flight, and what the algorithm has learned.
    pub fn stats(&self) -> AdaptiveLimitStats {
        self.core.stats()
    }

    /// The validated config.
    pub fn kernel(&self) -> &AdaptiveLimitKernel {
        &self.core.kernel
    }
}

/// An adaptive concurrency limit for one thread: the same code, plain words.
#[derive(Debug)]
pub struct AdaptiveLimit {
    core: Core<Cell<u64>>,
}

impl AdaptiveLimit {
    /// As [`AtomicAdaptiveLimit::new`].
    pub fn new(config: AdaptiveLimitConfig) -> Result<Self, ConfigError> {
        Ok(Self { core: Core::new(config)? })
    }

    /// As [`AtomicAdaptiveLimit::acquire`].
    #[inline]
    pub fn acquire(&mut self) -> Admission {
        self.core.acquire()
    }

    /// As [`AtomicAdaptiveLimit::release`].
    #[inline]
    pub fn release(&mut self, permit: Permit, rtt: Nanos, outcome: Outcome) -> u64 {
        self.core.release(permit, rtt, outcome)
    }

    /// As [`AtomicAdaptiveLimit::stats`].
    pub fn stats(&self) -> AdaptiveLimitStats {
        self.core.stats()
    }

    /// The validated config.
    pub fn kernel(&self) -> &AdaptiveLimitKernel {
        &self.core.kernel
    }
}
