//! Touches every core type from a `#![no_std]` staticlib with no allocator.
#![no_std]

use core::panic::PanicInfo;
use weir_core::backoff::{parse_retry_after, Backoff, BackoffConfig};
use weir_core::budget::{AtomicRetryBudget, RetryBudget, RetryBudgetConfig};
use weir_core::deadline::{format_grpc_timeout, parse_grpc_timeout, Deadline, DeadlineConfig};
use weir_core::lease::{AtomicLease, LeaseConfig, LeasePlanner};
use weir_core::limiter::{
    AtomicLimiter, ConcurrencyConfig, ConcurrencyLimiter, KeySet, KeyedLimiter, Limiter, LimiterConfig,
};
use weir_core::picker::{NodeSlot, Outcome, Picker, PickerConfig, PlainNodeSlot, PlainPicker};
use weir_core::shedder::{AtomicShedder, Shedder, ShedderConfig};
use weir_core::singleflight::{FlightSlot, PlainFlightSlot, PlainSingleflight, Singleflight};
use weir_core::throttle::{AtomicThrottle, Throttle, ThrottleConfig};

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {}
}

const CONFIG: LimiterConfig = LimiterConfig { rate: 10, period_ns: 1_000_000_000, burst: 5 };

/// Runs one call of every core primitive and returns how many were admitted
/// or answered.
#[no_mangle]
pub extern "C" fn weir_no_alloc_exercise(now: u64) -> u32 {
    let mut admitted = 0u32;
    let mut count = |ok: bool| admitted += ok as u32;
    if let Ok(l) = AtomicLimiter::new(CONFIG) {
        count(l.acquire(now, 1).is_admitted());
    }
    if let Ok(mut l) = Limiter::new(CONFIG) {
        count(l.acquire(now, 1).is_admitted());
    }
    if let Ok(k) = KeyedLimiter::<[KeySet; 2]>::new(CONFIG) {
        count(k.acquire(7, now, 1).is_admitted());
    }
    if let Ok(c) = ConcurrencyLimiter::new(ConcurrencyConfig { max_in_flight: 2 }) {
        count(c.acquire().is_admitted());
        c.release();
    }
    if let Ok(s) = AtomicShedder::new(ShedderConfig::default()) {
        count(s.acquire(now).is_admitted());
        s.done(now, now + 1);
        s.record_cpu(500);
    }
    if let Ok(mut s) = Shedder::new(ShedderConfig::default()) {
        count(s.acquire(now).is_admitted());
        s.done(now, now + 1);
    }
    if let Ok(t) = AtomicThrottle::new(ThrottleConfig::default()) {
        count(t.acquire(now, now).is_admitted());
        t.record(now, true);
    }
    if let Ok(mut t) = Throttle::new(ThrottleConfig::default()) {
        count(t.acquire(now, now).is_admitted());
        t.record(now, false);
    }
    admitted
        + exercise_retry_and_deadline(now)
        + exercise_lease_picker_and_singleflight(now)
        + exercise_breaker_and_limit(now)
        + exercise_tail_latency(now)
}

fn exercise_retry_and_deadline(now: u64) -> u32 {
    let mut touched = 0u32;
    if let Ok(b) = Backoff::new(BackoffConfig::default()) {
        touched += (b.delay(1, now, 0) > 0) as u32;
    }
    touched += parse_retry_after(b"7", 0).is_ok() as u32;
    if let Ok(b) = AtomicRetryBudget::new(RetryBudgetConfig::default()) {
        b.deposit(now);
        touched += b.withdraw(now, 0, u64::MAX).is_admitted() as u32;
    }
    if let Ok(mut b) = RetryBudget::new(RetryBudgetConfig::default()) {
        b.deposit(now);
        touched += b.withdraw(now, 0, u64::MAX).is_admitted() as u32;
    }
    if let Ok(d) = Deadline::new(DeadlineConfig::default()) {
        touched += d.budget(now, Some(now + 1_000)).is_ok() as u32;
    }
    let mut buf = [0u8; 16];
    touched += format_grpc_timeout(1_000, &mut buf).is_ok() as u32;
    touched += parse_grpc_timeout(b"5S").is_ok() as u32;
    touched
}

fn exercise_lease_picker_and_singleflight(now: u64) -> u32 {
    let mut touched = 0u32;
    if let Ok(planner) = LeasePlanner::new(LeaseConfig::default()) {
        let lease = AtomicLease::new(100);
        let _ = planner;
        let _ = lease.try_spend(now, 1);
    }
    if let Ok(p) = Picker::new(PickerConfig::default(), NodeSlot::array::<4>()) {
        p.add(1, now);
        p.add(2, now);
        if let Some(t) = p.pick(now, now) {
            touched += p.done(t, now + 10, Outcome { latency_ns: 10, success: true, cpu_permille: None }) as u32;
        }
    }
    if let Ok(mut p) = PlainPicker::new(PickerConfig::default(), [PlainNodeSlot::default(); 4]) {
        p.add(1, now);
        if let Some(t) = p.pick(now, now) {
            touched += p.done(t, now + 10, Outcome { latency_ns: 10, success: true, cpu_permille: None }) as u32;
        }
    }
    if let Ok(s) = Singleflight::new(FlightSlot::array::<8>()) {
        let _ = s.begin(42);
    }
    if let Ok(mut s) = PlainSingleflight::new([PlainFlightSlot::default(); 8]) {
        let _ = s.begin(42);
    }
    touched
}

fn exercise_breaker_and_limit(now: u64) -> u32 {
    use weir_core::adaptive_limit::{AdaptiveLimit, AdaptiveLimitConfig, AtomicAdaptiveLimit, Outcome};
    use weir_core::breaker::{AtomicBreaker, Breaker, BreakerConfig, WindowKind};
    let mut touched = 0u32;
    if let Ok(b) = AtomicBreaker::new(BreakerConfig::default()) {
        if let Some(p) = b.acquire(now).permit {
            touched += b.record(now, p, true, 10).is_none() as u32;
        }
    }
    if let Ok(mut b) = Breaker::new(BreakerConfig { window: WindowKind::Time, ..BreakerConfig::default() }) {
        if let Some(p) = b.acquire(now).permit {
            touched += b.record(now, p, false, 10).is_none() as u32;
        }
    }
    if let Ok(l) = AtomicAdaptiveLimit::new(AdaptiveLimitConfig::default()) {
        if let Some(p) = l.acquire().permit {
            touched += (l.release(p, 1_000_000, Outcome::Success) > 0) as u32;
        }
    }
    if let Ok(mut l) = AdaptiveLimit::new(AdaptiveLimitConfig::vegas()) {
        if let Some(p) = l.acquire().permit {
            touched += (l.release(p, 1_000_000, Outcome::Dropped) > 0) as u32;
        }
    }
    touched
}

fn exercise_tail_latency(now: u64) -> u32 {
    use weir_core::budget::Unbudgeted;
    use weir_core::hedge::{HedgeAsk, HedgeConfig, HedgeKernel};
    use weir_core::hot_keys::{HotKey, HotKeys, HotKeysConfig, HotSet, PlainHotKeys, PlainHotSet};
    use weir_core::quantile::{AtomicQuantiles, Histogram, QuantileConfig, Quantiles};
    let mut touched = 0u32;
    let mut p95 = None;
    if let Ok(q) = AtomicQuantiles::<4>::new(QuantileConfig::default()) {
        q.record(now, 1_000);
        p95 = q.quantile(0.95, now);
        let other = Histogram::<38>::new();
        let mut h = q.snapshot(now);
        h.add(&other);
        touched += h.buckets().count() as u32;
    }
    if let Ok(mut q) = Quantiles::<2, 8>::new(QuantileConfig { sub_windows: 2, ..QuantileConfig::default() }) {
        q.record(now, 1_000);
        touched += q.count(now) as u32;
    }
    if let Ok(h) = HotKeys::<[HotSet; 4]>::new(HotKeysConfig::default()) {
        h.record(now, 7);
        let mut top = [HotKey::default(); 4];
        touched += h.top(now, &mut top) as u32;
    }
    if let Ok(mut h) = PlainHotKeys::<[PlainHotSet; 4]>::new(HotKeysConfig::default()) {
        h.record(now, 7);
        touched += h.estimate(now, 7).count as u32;
    }
    if let Ok(k) = HedgeKernel::new(HedgeConfig::default()) {
        let ask = HedgeAsk { started_at: 0, hedges_sent: 0, quantile_ns: p95, samples: 1, deadline_left: u64::MAX };
        touched += k.next(now, &ask, &Unbudgeted).due.min(1) as u32;
    }
    touched
}
