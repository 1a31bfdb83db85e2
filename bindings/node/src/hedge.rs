//! `Hedger`: when a request's next copy goes out, as a napi class (the
//! `hedged()` helper in lib/hedge.js sends, waits and aborts).

use napi::bindgen_prelude::BigInt;
use napi_derive::napi;
use std::sync::Arc;
use weir_core::budget::RetryBudgetConfig;
use weir_core::hedge::{HedgeAsk, HedgeConfig, HedgeDecision};
use weir_core::quantile::QuantileConfig;
use weir_host::Hedger;

use crate::quantile::{exact, now, refused};
use crate::retry::BUDGETS;

#[napi]
pub struct NativeHedger {
    inner: Hedger,
}

/// A decision: action ("send", "wait", "stop"), reason, and `due` and
/// `delay` in ns.
#[napi(object)]
pub struct HedgeAnswer {
    pub action: String,
    pub reason: String,
    pub due: BigInt,
    pub delay: BigInt,
}

impl From<HedgeDecision> for HedgeAnswer {
    fn from(d: HedgeDecision) -> Self {
        Self {
            action: d.action.as_str().to_owned(),
            reason: d.reason.as_str().to_owned(),
            due: BigInt::from(d.due),
            delay: BigInt::from(d.delay),
        }
    }
}

fn u(v: &BigInt) -> u64 {
    v.get_u64().1
}

/// `hedge`: floor, ceiling, max hedges, min samples, window, sub-windows.
fn hedge_config(quantile: f64, hedge: &[BigInt]) -> (HedgeConfig, QuantileConfig) {
    let h = |i: usize| hedge.get(i).map_or(0, u);
    let config = HedgeConfig { quantile, floor_ns: h(0), ceiling_ns: h(1), max_hedges: h(2), min_samples: h(3) };
    (config, QuantileConfig { window_ns: h(4), sub_windows: h(5) })
}

#[napi]
impl NativeHedger {
    /// `hedge`: quantile as f64 then floor, ceiling, max hedges, min
    /// samples, window, sub-windows; `budget`: ratio, min per second,
    /// window, buckets (all ns or counts, as BigInt but the ratios).
    #[napi(constructor)]
    pub fn new(quantile: f64, hedge: Vec<BigInt>, ratio: f64, budget: Vec<BigInt>) -> napi::Result<Self> {
        let (config, window) = hedge_config(quantile, &hedge);
        let b = |i: usize| budget.get(i).map_or(0, u);
        let budget = RetryBudgetConfig { ratio, min_per_second: b(0), window_ns: b(1), buckets: b(2) };
        Ok(Self { inner: Hedger::new(config, budget, window).map_err(refused)? })
    }

    /// As the constructor, spending the retry budget at table index
    /// `budget` (a `RetryBudget`'s handle) instead of one of its own: the
    /// hedger holds that budget until it is dropped.
    #[napi(factory)]
    pub fn with_budget(quantile: f64, hedge: Vec<BigInt>, budget: u32) -> napi::Result<Self> {
        let (config, window) = hedge_config(quantile, &hedge);
        let shared =
            BUDGETS.get(budget as usize).ok_or_else(|| napi::Error::from_reason("the RetryBudget is released"))?;
        Ok(Self { inner: Hedger::with_budget(config, Arc::clone(&shared.inner), window).map_err(refused)? })
    }

    #[napi]
    pub fn begin(&self) -> f64 {
        self.inner.begin_at(weir_host::monotonic_now()) as f64
    }

    /// The next hedge of a request begun at `started_at` (ns, as `begin`
    /// gave it) with `hedges_sent` out: "send" (the budget spent), "wait"
    /// until `due`, or "stop". `deadline_left` in ns, negative for none.
    #[napi]
    pub fn next(&self, started_at: f64, hedges_sent: u32, deadline_left: f64) -> HedgeAnswer {
        let left = if deadline_left < 0.0 { u64::MAX } else { deadline_left as u64 };
        let now = weir_host::monotonic_now();
        self.inner.next_at(now, started_at as u64, u64::from(hedges_sent), left).into()
    }

    #[napi]
    pub fn record(&self, latency_ns: f64) {
        self.inner.record_at(weir_host::monotonic_now(), latency_ns.max(0.0) as u64);
    }

    /// `[requests, hedges, refused budget, refused deadline, budget
    /// requests, budget retries]`.
    #[napi]
    pub fn stats(&self) -> Vec<f64> {
        let s = self.inner.stats();
        let (r, t) = self.inner.budget_at(weir_host::monotonic_now());
        [s.requests, s.hedges, s.refused_budget, s.refused_deadline, r, t].map(|v| v as f64).to_vec()
    }

    /// A decision on an ask the caller fills in (the vectors): `quantile`
    /// null for no estimate, `deadline_left` null for none.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn ask(
        &self,
        at: BigInt,
        started_at: BigInt,
        hedges_sent: BigInt,
        quantile: Option<BigInt>,
        samples: BigInt,
        deadline_left: Option<BigInt>,
        spend: bool,
    ) -> HedgeAnswer {
        let ask = HedgeAsk {
            started_at: u(&started_at),
            hedges_sent: u(&hedges_sent),
            quantile_ns: exact(quantile),
            samples: u(&samples),
            deadline_left: exact(deadline_left).unwrap_or(u64::MAX),
        };
        let at = u(&at);
        if spend { self.inner.ask_at(at, &ask) } else { self.inner.plan_at(at, &ask) }.into()
    }

    #[napi]
    pub fn deposit(&self, at: BigInt) {
        self.inner.deposit_at(u(&at));
    }

    #[napi]
    pub fn budget(&self, at: Option<BigInt>) -> Vec<BigInt> {
        let (r, t) = self.inner.budget_at(now(at));
        vec![BigInt::from(r), BigInt::from(t)]
    }
}
