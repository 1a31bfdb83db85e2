//! Touches every core type from a `#![no_std]` staticlib with no allocator.
#![no_std]

use core::panic::PanicInfo;
use weir_core::limiter::{AtomicLimiter, ConcurrencyConfig, ConcurrencyLimiter, KeySet, KeyedLimiter, Limiter, LimiterConfig};
use weir_core::shedder::{AtomicShedder, Shedder, ShedderConfig};
use weir_core::throttle::{AtomicThrottle, Throttle, ThrottleConfig};

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {}
}

const CONFIG: LimiterConfig = LimiterConfig { rate: 10, period_ns: 1_000_000_000, burst: 5 };

/// Runs one decision of every part-1 primitive and returns how many admitted.
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
}
