//! The three algorithms as pure steps over the model's three numbers: a
//! sample counter, a baseline RTT (Gradient2's long-term average, Vegas's
//! no-load RTT) and the fractional estimate of the limit. Each step reads
//! and writes one of them, so a cell applies each as one compare-exchange.

use super::config::{AdaptiveLimitKernel, Algorithm, WARMUP_SAMPLES};

/// One finished request, as the algorithms see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample {
    /// Round-trip time, ns, at least 1.
    pub rtt: f64,
    /// Requests in flight when this one was admitted, itself included.
    pub in_flight: f64,
    /// Timed out, refused downstream, or otherwise a sign of overload.
    pub dropped: bool,
}

/// What the baseline step leaves for the estimate step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Baseline {
    /// The baseline the gradient (or the queue) is computed against.
    pub seen: f64,
    /// The baseline kept for the next sample.
    pub stored: f64,
    /// Vegas keeps the limit when this sample only set the baseline.
    pub keep_limit: bool,
}

/// `floor(log10(n))` for the whole part of `estimate`, at least 1: Vegas's
/// step size. (Netflix's table gives 0 below 10, which stalls growth there.)
fn log10_step(estimate: f64) -> f64 {
    let mut n = estimate as u64;
    let mut digits = 0u32;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    f64::from(digits.max(1))
}

impl AdaptiveLimitKernel {
    /// The sample counter after one more sample, and whether Vegas re-takes
    /// its no-load RTT from this sample. Gradient2 stops counting after the
    /// warm-up (the counter stays unchanged, so a cell writes nothing).
    #[inline]
    pub(crate) fn count(&self, samples: u64, estimate: f64) -> (u64, bool) {
        match self.algorithm {
            Algorithm::Gradient2 { .. } => (samples.saturating_add(1).min(WARMUP_SAMPLES), false),
            Algorithm::Vegas { probe_multiplier, .. } => {
                let next = samples.saturating_add(1);
                if next as f64 >= probe_multiplier as f64 * estimate {
                    (0, true)
                } else {
                    (next, false)
                }
            }
            Algorithm::Aimd { .. } => (samples, false),
        }
    }

    /// The baseline after a sample; `counted` is the counter before it.
    #[inline]
    pub(crate) fn baseline(&self, baseline: f64, counted: u64, probe: bool, rtt: f64) -> Baseline {
        match self.algorithm {
            Algorithm::Gradient2 { .. } => {
                let n = counted.saturating_add(1);
                let long = if n <= WARMUP_SAMPLES {
                    baseline + (rtt - baseline) / n as f64
                } else {
                    baseline * (1.0 - self.long_weight) + rtt * self.long_weight
                };
                // After a long overload the average lags far above the
                // latency now seen; decaying it brings the limit back.
                let stored = if long / rtt > 2.0 { long * 0.95 } else { long };
                Baseline { seen: long, stored, keep_limit: false }
            }
            Algorithm::Vegas { .. } => {
                if probe || baseline == 0.0 || rtt < baseline {
                    Baseline { seen: rtt, stored: rtt, keep_limit: true }
                } else {
                    Baseline { seen: baseline, stored: baseline, keep_limit: false }
                }
            }
            Algorithm::Aimd { .. } => Baseline { seen: baseline, stored: baseline, keep_limit: false },
        }
    }

    /// The estimate after a sample, given the baseline step's `seen`.
    #[inline]
    pub(crate) fn estimate(&self, estimate: f64, baseline: f64, s: Sample) -> f64 {
        let (min, max) = (self.min, self.max);
        match self.algorithm {
            Algorithm::Gradient2 { smoothing, rtt_tolerance, queue_size, .. } => {
                let gradient = (rtt_tolerance * baseline / s.rtt).clamp(0.5, 1.0);
                let target = estimate * gradient + queue_size as f64;
                let next = (estimate * (1.0 - smoothing) + target * smoothing).clamp(min, max);
                // An app-limited service says nothing about a higher limit,
                // but latency rising under it still says the limit is too
                // high: when load steps up, the queue a held limit lets in
                // is what the gradient exists to stop.
                if s.in_flight < estimate / 2.0 && next > estimate {
                    return estimate;
                }
                // A sample admitted with more in flight than the estimate
                // now allows measured a queue the limit has already cut
                // away; cutting again for each such sample (a queue drains
                // one slow answer at a time) would take the limit far below
                // what the service takes. TCP likewise shrinks its window
                // once per round trip, not once per late packet.
                if s.in_flight > estimate && next < estimate {
                    return estimate;
                }
                next
            }
            Algorithm::Vegas { smoothing, alpha, beta, .. } => {
                let queue = libm::ceil(estimate * (1.0 - baseline / s.rtt));
                let step = log10_step(estimate);
                let target = if s.dropped {
                    estimate - step
                } else if s.in_flight * 2.0 < estimate {
                    return estimate;
                } else if queue <= step {
                    estimate + beta as f64 * step
                } else if queue < alpha as f64 * step {
                    estimate + step
                } else if queue > beta as f64 * step {
                    estimate - step
                } else {
                    return estimate;
                };
                // Clamped after the blend as well: two values at `min` can
                // blend to a hair below it in floating point.
                ((1.0 - smoothing) * estimate + smoothing * target.clamp(min, max)).clamp(min, max)
            }
            Algorithm::Aimd { backoff_ratio, timeout_ns } => {
                if s.dropped || s.rtt > timeout_ns as f64 {
                    libm::floor(estimate * backoff_ratio).clamp(min, max)
                } else if s.in_flight * 2.0 >= estimate {
                    (estimate + 1.0).clamp(min, max)
                } else {
                    estimate
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::log10_step;

    #[test]
    fn vegas_step_is_whole_digits_at_least_one() {
        for (n, step) in [(1.0, 1.0), (9.9, 1.0), (10.0, 1.0), (99.5, 1.0), (100.0, 2.0), (999.0, 2.0), (1000.0, 3.0)] {
            assert_eq!(log10_step(n), step, "{n}");
        }
    }
}
