use crate::budget::RetrySpend;
use crate::error::check;
use crate::{ConfigError, Nanos, Reason, Value, MILLISECOND, SECOND};

/// Most hedges one request may send.
pub const MAX_HEDGES: u64 = 16;

/// Hedging settings. Defaults: hedge once, after the recent p95, no sooner
/// than 1 ms and no later than 1 s after the first copy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HedgeConfig {
    /// Which quantile of recent latency is the hedge delay, in (0, 1].
    pub quantile: f64,
    /// Shortest delay, whatever the quantile says.
    pub floor_ns: Nanos,
    /// Longest delay, and the delay while the estimator has fewer than
    /// `min_samples`. At least `floor_ns`.
    pub ceiling_ns: Nanos,
    /// Hedges per request beyond the first copy, 1..=16.
    pub max_hedges: u64,
    /// Samples the estimator's window must hold before its quantile is
    /// trusted.
    pub min_samples: u64,
}

impl Default for HedgeConfig {
    fn default() -> Self {
        Self { quantile: 0.95, floor_ns: MILLISECOND, ceiling_ns: SECOND, max_hedges: 1, min_samples: 20 }
    }
}

/// What a host knows about one request when it asks whether to hedge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HedgeAsk {
    /// When the first copy was sent.
    pub started_at: Nanos,
    /// Hedges already sent for this request.
    pub hedges_sent: u64,
    /// The configured quantile of recent latency (the estimator's
    /// `quantile(kernel.quantile(), now)`); `None` when it has no samples.
    pub quantile_ns: Option<Nanos>,
    /// Samples behind that quantile (the estimator's `count(now)`).
    pub samples: u64,
    /// What is left of the caller's deadline at `now`; `u64::MAX` for none.
    pub deadline_left: Nanos,
}

/// What to do about the next hedge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum HedgeAction {
    /// Send the next hedge now (its retry is already spent).
    Send = 0,
    /// Not yet: ask again at `due` if no answer came.
    Wait = 1,
    /// Send no more hedges for this request; `reason` says why.
    Stop = 2,
}

impl HedgeAction {
    /// `"send"`, `"wait"` or `"stop"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HedgeAction::Send => "send",
            HedgeAction::Wait => "wait",
            HedgeAction::Stop => "stop",
        }
    }
}

/// The answer to [`HedgeKernel::next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HedgeDecision {
    /// Send, wait, or stop.
    pub action: HedgeAction,
    /// [`Reason::Admitted`] unless stopped: then
    /// [`Reason::AttemptsExhausted`] (`max_hedges` sent),
    /// [`Reason::DeadlineTooClose`] (the hedge would be due at or past the
    /// deadline; `u64::MAX` left is no deadline) or [`Reason::BudgetExhausted`] (the retry budget refused it).
    pub reason: Reason,
    /// When the next hedge is due: `started_at + (hedges_sent + 1) * delay`
    /// (saturating); `u64::MAX` once `max_hedges` are out.
    pub due: Nanos,
    /// The delay in force: the quantile clamped to `[floor_ns, ceiling_ns]`.
    pub delay: Nanos,
}

/// The validated config and the decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HedgeKernel {
    quantile: f64,
    floor: Nanos,
    ceiling: Nanos,
    max_hedges: u64,
    min_samples: u64,
}

impl HedgeKernel {
    /// Validates `config`.
    pub fn new(config: HedgeConfig) -> Result<Self, ConfigError> {
        let q = config.quantile;
        if q.is_nan() || q <= 0.0 || q > 1.0 {
            return Err(ConfigError::new("quantile", "in (0, 1]", Value::Float(q)));
        }
        let ceiling = check::at_least("ceiling_ns", ">= floor_ns", config.ceiling_ns, config.floor_ns)?;
        let max_hedges = check::at_least("max_hedges", ">= 1", config.max_hedges, 1)?;
        let max_hedges = check::at_most("max_hedges", "<= 16", max_hedges, MAX_HEDGES)?;
        Ok(Self { quantile: q, floor: config.floor_ns, ceiling, max_hedges, min_samples: config.min_samples })
    }

    /// The quantile to ask the estimator for.
    pub const fn quantile(&self) -> f64 {
        self.quantile
    }

    /// The hedge delay for an estimator reading `quantile_ns` over `samples`.
    #[inline]
    pub const fn delay(&self, quantile_ns: Option<Nanos>, samples: u64) -> Nanos {
        match quantile_ns {
            Some(q) if samples >= self.min_samples => {
                if q < self.floor {
                    self.floor
                } else if q > self.ceiling {
                    self.ceiling
                } else {
                    q
                }
            }
            _ => self.ceiling,
        }
    }

    /// The decision without the budget: `Send` means the hedge is due.
    #[inline]
    pub const fn plan(&self, now: Nanos, ask: &HedgeAsk) -> HedgeDecision {
        let delay = self.delay(ask.quantile_ns, ask.samples);
        if ask.hedges_sent >= self.max_hedges {
            return HedgeDecision {
                action: HedgeAction::Stop,
                reason: Reason::AttemptsExhausted,
                due: u64::MAX,
                delay,
            };
        }
        let due = ask.started_at.saturating_add(delay.saturating_mul(ask.hedges_sent + 1));
        if ask.deadline_left != u64::MAX && due.saturating_sub(now) >= ask.deadline_left {
            return HedgeDecision { action: HedgeAction::Stop, reason: Reason::DeadlineTooClose, due, delay };
        }
        let action = if now < due { HedgeAction::Wait } else { HedgeAction::Send };
        HedgeDecision { action, reason: Reason::Admitted, due, delay }
    }

    /// Decides the next hedge of one request at `now`: stop when
    /// `max_hedges` are out or the hedge could not start before the
    /// deadline; wait until it is due; then spend one retry of `budget` on
    /// it (each hedge is a retry sent early) and send it, or stop if the
    /// budget refuses.
    #[inline]
    pub fn next<B: RetrySpend + ?Sized>(&self, now: Nanos, ask: &HedgeAsk, budget: &B) -> HedgeDecision {
        let plan = self.plan(now, ask);
        if !matches!(plan.action, HedgeAction::Send) {
            return plan;
        }
        let spent = budget.spend(now, 0, ask.deadline_left);
        if spent.is_admitted() {
            plan
        } else {
            HedgeDecision { action: HedgeAction::Stop, reason: spent.reason, ..plan }
        }
    }
}
