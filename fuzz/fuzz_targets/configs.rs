//! The config constructors of backoff, the retry budget, the deadline, the
//! picker and singleflight, fed arbitrary fields: each either refuses with a
//! named field or builds something whose decisions never panic for
//! arbitrary inputs.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use weir_core::backoff::{Backoff, BackoffConfig, Jitter};
use weir_core::budget::{retry, AtomicRetryBudget, RetryAsk, RetryBudgetConfig};
use weir_core::deadline::{Deadline, DeadlineConfig};
use weir_core::picker::{NodeSlot, Outcome, Picker, PickerConfig};
use weir_core::singleflight::{Flight, FlightSlot, Singleflight};

#[derive(Debug, Arbitrary)]
struct Input {
    base: u64,
    cap: u64,
    multiplier: f64,
    jitter: u8,
    max_attempts: u32,
    advised_cap: u64,
    ratio: f64,
    min_per_second: u64,
    window: u64,
    buckets: u64,
    timeout: u64,
    margin: u64,
    tau: u64,
    force: u64,
    floor: f64,
    ceiling: u64,
    bias: u64,
    initial: u64,
    capacity: u8,
    no_retry: bool,
    calls: Vec<(u64, u64, u32, Option<u64>)>,
}

fuzz_target!(|i: Input| {
    let backoff = Backoff::new(BackoffConfig {
        base_ns: i.base,
        cap_ns: i.cap,
        multiplier: i.multiplier,
        jitter: Jitter::from_code(i.jitter % 4).unwrap_or(Jitter::Full),
        max_attempts: i.max_attempts,
        advised_cap_ns: i.advised_cap,
    });
    let budget = AtomicRetryBudget::new(RetryBudgetConfig {
        ratio: i.ratio,
        min_per_second: i.min_per_second,
        window_ns: i.window,
        buckets: i.buckets,
    });
    let deadline = Deadline::new(DeadlineConfig { timeout_ns: i.timeout, margin_ns: i.margin });
    let picker = Picker::new(
        PickerConfig {
            tau_ns: i.tau,
            force_pick_ns: i.force,
            success_floor: i.floor,
            cpu_ceiling: i.ceiling,
            latency_bias_ns: i.bias,
            initial_latency_ns: i.initial,
        },
        (0..usize::from(i.capacity % 9)).map(|_| NodeSlot::new()).collect::<Box<[_]>>(),
    );
    let flights = Singleflight::new((0..usize::from(i.capacity % 5)).map(|_| FlightSlot::new()).collect::<Box<[_]>>());
    for e in [
        backoff.as_ref().err(),
        budget.as_ref().err(),
        deadline.as_ref().err(),
        picker.as_ref().err(),
        flights.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(!e.field().is_empty() && e.to_string().contains(" must be "));
    }
    if let Ok(p) = &picker {
        for id in 0..3 {
            p.add(id, 0);
        }
    }
    for (now, draw, attempt, extra) in &i.calls {
        if let Ok(b) = &backoff {
            let d = b.delay(*attempt, *draw, extra.unwrap_or(0));
            assert!(d <= b.config().cap_ns);
            if let Ok(budget) = &budget {
                budget.deposit(*now);
                let ask = RetryAsk {
                    attempt: *attempt,
                    draw: *draw,
                    previous_delay: d,
                    advised: *extra,
                    deadline_left: *draw,
                    no_retry: i.no_retry,
                };
                let _ = retry(*now, b, budget, &ask);
            }
        }
        if let Ok(d) = &deadline {
            if let Ok(t) = d.budget(*now, *extra) {
                assert!(t <= d.config().timeout_ns);
            }
        }
        if let Ok(p) = &picker {
            if let Some(t) = p.pick(*now, *draw) {
                let cpu = extra.map(|c| (c % 2000) as u16);
                assert!(p.done(
                    t,
                    now.wrapping_add(*draw % 1_000_000),
                    Outcome { latency_ns: *draw, success: attempt % 2 == 0, cpu_permille: cpu }
                ));
            }
        }
        if let Ok(f) = &flights {
            match f.begin(*draw % 8) {
                Flight::Leader(t) => assert!(f.finish(t)),
                Flight::Follower(t) => assert!(f.leave(t)),
                Flight::TableFull => {}
            }
        }
    }
});
