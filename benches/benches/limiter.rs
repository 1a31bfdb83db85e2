//! weir's limiter against governor, same quota, same clock source (quanta,
//! governor's own): one thread, two threads on one limiter, and keyed with
//! 1,000 keys. The quota is never reached, so both sides take the admitting
//! (writing) path.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use governor::{Quota, RateLimiter};
use std::hint::black_box;
use std::num::NonZeroU32;
use weir_benches::{best_of_interleaved, lines_wanted, ns_per_op, ns_per_op_threads, report};
use weir_core::limiter::{decide_in_set, set_index, AtomicLimiter, KeySet, KeyedLimiter, Limiter, LimiterConfig, WAYS};
use weir_core::SECOND;

const RATE: u32 = 1_000_000_000;
const BURST: u32 = 1_000_000_000;
const KEYS: u64 = 1_000;

fn config() -> LimiterConfig {
    LimiterConfig { rate: RATE as u64, period_ns: SECOND, burst: BURST as u64 }
}

fn quota() -> Quota {
    Quota::per_second(NonZeroU32::new(RATE).unwrap_or(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(BURST).unwrap_or(NonZeroU32::MIN))
}

/// Reads the TSC through quanta, as governor's default clock does, and
/// scales it to nanoseconds since the start of the bench.
struct Clock {
    clock: quanta::Clock,
    origin: u64,
}

impl Clock {
    fn new() -> Self {
        let clock = quanta::Clock::new();
        let origin = clock.raw();
        Self { clock, origin }
    }
    #[inline]
    fn now(&self) -> u64 {
        self.clock.delta_as_nanos(self.origin, self.clock.raw())
    }
}

fn weir_keyed() -> Box<KeyedLimiter<Box<[KeySet]>>> {
    let sets: Box<[KeySet]> = (0..256).map(|_| KeySet::new()).collect();
    Box::new(KeyedLimiter::with_storage(config(), sets).unwrap_or_else(|e| panic!("{e}")))
}

type Measure<'a> = Box<dyn Fn() -> f64 + 'a>;

fn lines() {
    let clock = Clock::new();
    let iters = 2_000_000;
    let weir = AtomicLimiter::new(config()).unwrap_or_else(|e| panic!("{e}"));
    let gov = RateLimiter::direct(quota());
    let keyed = weir_keyed();
    let gov_keyed = RateLimiter::<u64, _, _>::keyed(quota());
    // Time supplied by the caller on both sides: weir takes `now` as an
    // argument; governor reads a clock that returns a stored instant. This
    // compares the limiters without the clock read both would otherwise pay.
    let frozen = black_box(clock.now() + 1);
    let weir_frozen = AtomicLimiter::new(config()).unwrap_or_else(|e| panic!("{e}"));
    let fake = governor::clock::FakeRelativeClock::default();
    fake.advance(std::time::Duration::from_nanos(frozen));
    let gov_frozen = RateLimiter::direct_with_clock(quota(), fake);
    let keyed_frozen = weir_keyed();
    let fake_keyed = governor::clock::FakeRelativeClock::default();
    fake_keyed.advance(std::time::Duration::from_nanos(frozen));
    let gov_keyed_frozen: RateLimiter<u64, governor::state::keyed::DefaultKeyedStateStore<u64>, _, _> =
        RateLimiter::dashmap_with_clock(quota(), fake_keyed);
    // The plain cells: what a single-threaded host (an Envoy worker, Node's
    // event loop, a GIL-holding Python thread) uses. No locked instruction.
    let plain = std::cell::RefCell::new(Limiter::new(config()).unwrap_or_else(|e| panic!("{e}")));
    let gcra = *plain.borrow().gcra();
    let plain_sets = std::cell::RefCell::new(vec![[(0u64, 0u64); WAYS]; 256]);
    let cases: [(&str, Measure<'_>); 15] = [
        // The clock read alone: the floor of every case below that reads it.
        (
            "clock/quanta",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    black_box(clock.now());
                })
            }),
        ),
        (
            "limiter/weir_plain/1t",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    black_box(plain.borrow_mut().acquire(clock.now(), 1));
                })
            }),
        ),
        (
            "keyed/weir_plain/1000",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    let key = i % KEYS;
                    let mut sets = plain_sets.borrow_mut();
                    let index = set_index(key, sets.len());
                    if let Some(set) = sets.get_mut(index) {
                        black_box(decide_in_set(&gcra, set, key, clock.now(), 1));
                    }
                })
            }),
        ),
        (
            "limiter/weir/1t/time_supplied",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    black_box(weir_frozen.acquire(black_box(frozen), 1));
                })
            }),
        ),
        (
            "limiter/governor/1t/time_supplied",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    let _ = black_box(gov_frozen.check());
                })
            }),
        ),
        (
            "limiter/weir/1t",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    black_box(weir.acquire(clock.now(), 1));
                })
            }),
        ),
        (
            "limiter/governor/1t",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    let _ = black_box(gov.check());
                })
            }),
        ),
        (
            "limiter/weir/2t",
            Box::new(|| {
                ns_per_op_threads(2, iters, |_| {
                    black_box(weir.acquire(clock.now(), 1));
                })
            }),
        ),
        (
            "limiter/governor/2t",
            Box::new(|| {
                ns_per_op_threads(2, iters, |_| {
                    let _ = black_box(gov.check());
                })
            }),
        ),
        // Two threads on one word without the clock: what the contended
        // compare-exchange itself costs (the cache line moving between cores).
        (
            "limiter/weir/2t/time_supplied",
            Box::new(|| {
                ns_per_op_threads(2, iters, |_| {
                    black_box(weir_frozen.acquire(black_box(frozen), 1));
                })
            }),
        ),
        (
            "limiter/governor/2t/time_supplied",
            Box::new(|| {
                ns_per_op_threads(2, iters, |_| {
                    let _ = black_box(gov_frozen.check());
                })
            }),
        ),
        (
            "keyed/weir/1000",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    black_box(keyed.acquire(i % KEYS, clock.now(), 1));
                })
            }),
        ),
        (
            "keyed/governor/1000",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    let _ = black_box(gov_keyed.check_key(&(i % KEYS)));
                })
            }),
        ),
        (
            "keyed/weir/1000/time_supplied",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    black_box(keyed_frozen.acquire(i % KEYS, black_box(frozen), 1));
                })
            }),
        ),
        (
            "keyed/governor/1000/time_supplied",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    let _ = black_box(gov_keyed_frozen.check_key(&(i % KEYS)));
                })
            }),
        ),
    ];
    let cases: Vec<(&str, &dyn Fn() -> f64)> = cases.iter().map(|(case, measure)| (*case, &**measure as _)).collect();
    for (case, ns) in best_of_interleaved(5, &cases) {
        report(case, ns);
    }
}

fn bench(c: &mut Criterion) {
    let clock = Clock::new();
    let weir = AtomicLimiter::new(config()).unwrap_or_else(|e| panic!("{e}"));
    let gov = RateLimiter::direct(quota());
    let mut g = c.benchmark_group("limiter");
    g.bench_function("weir/1t", |b| b.iter(|| black_box(weir.acquire(clock.now(), 1))));
    g.bench_function("governor/1t", |b| b.iter(|| black_box(gov.check())));
    g.bench_function("weir/2t", |b| {
        b.iter_custom(|iters| {
            let ns = ns_per_op_threads(2, iters, |_| {
                black_box(weir.acquire(clock.now(), 1));
            });
            std::time::Duration::from_nanos((ns * iters as f64) as u64)
        })
    });
    g.bench_function("governor/2t", |b| {
        b.iter_custom(|iters| {
            let ns = ns_per_op_threads(2, iters, |_| {
                let _ = black_box(gov.check());
            });
            std::time::Duration::from_nanos((ns * iters as f64) as u64)
        })
    });
    g.finish();

    let keyed = weir_keyed();
    let gov_keyed = RateLimiter::<u64, _, _>::keyed(quota());
    let mut g = c.benchmark_group("keyed_1000");
    let mut i = 0u64;
    g.bench_function("weir", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(keyed.acquire(i % KEYS, clock.now(), 1))
        })
    });
    g.bench_function("governor", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(gov_keyed.check_key(&(i % KEYS)))
        })
    });
    g.finish();
}

fn main() {
    if lines_wanted() {
        lines();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
