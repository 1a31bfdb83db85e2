//! The quantile estimator's, the hot-key detector's and the hedging
//! decision's constructors fed arbitrary fields: each either refuses with a
//! named field or builds something whose answers never panic and keep their
//! bounds for arbitrary traces (times may go backwards).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use weir_core::budget::{AtomicRetryBudget, RetryBudgetConfig};
use weir_core::hedge::{HedgeAction, HedgeAsk, HedgeConfig, HedgeKernel};
use weir_core::hot_keys::{HotKey, HotKeys, HotKeysConfig, HotSet};
use weir_core::quantile::{AtomicQuantiles, QuantileConfig};

#[derive(Debug, Arbitrary)]
struct Input {
    window_ns: u64,
    sub_windows: u64,
    half_life_ns: u64,
    quantile: f64,
    floor_ns: u64,
    ceiling_ns: u64,
    max_hedges: u64,
    min_samples: u64,
    events: Vec<(u64, u64, u8, f64)>,
}

fuzz_target!(|i: Input| {
    let quantiles =
        AtomicQuantiles::<4, 38>::new(QuantileConfig { window_ns: i.window_ns, sub_windows: i.sub_windows });
    let hot = HotKeys::<[HotSet; 2]>::new(HotKeysConfig { half_life_ns: i.half_life_ns });
    let hedge = HedgeKernel::new(HedgeConfig {
        quantile: i.quantile,
        floor_ns: i.floor_ns,
        ceiling_ns: i.ceiling_ns,
        max_hedges: i.max_hedges,
        min_samples: i.min_samples,
    });
    for e in [quantiles.as_ref().err(), hot.as_ref().err(), hedge.as_ref().err()].into_iter().flatten() {
        assert!(!e.field().is_empty() && e.to_string().contains(" must be "));
    }
    let budget = AtomicRetryBudget::new(RetryBudgetConfig::default()).unwrap();
    let mut recorded = 0u64;
    for &(now, value, op, q) in &i.events {
        match op % 4 {
            0 => {
                if let Ok(qs) = &quantiles {
                    qs.record(now, value);
                }
                if let Ok(h) = &hot {
                    h.record(now, value);
                }
                budget.deposit(now);
                recorded += 1;
            }
            1 => {
                if let Ok(qs) = &quantiles {
                    let snapshot = qs.snapshot(now);
                    assert!(snapshot.count() <= recorded);
                    assert_eq!(snapshot.quantile(q).is_some(), snapshot.count() > 0);
                    assert_eq!(qs.count(now), snapshot.count());
                }
            }
            2 => {
                if let Ok(h) = &hot {
                    let mut top = [HotKey::default(); 8];
                    let n = h.top(now, &mut top);
                    assert!(n <= 8 && h.total(now) <= recorded);
                    for pair in top[..n].windows(2) {
                        assert!(pair[0].guaranteed() >= pair[1].guaranteed());
                    }
                    for k in &top[..n] {
                        assert!(k.error <= k.count);
                    }
                }
            }
            _ => {
                if let Ok(k) = &hedge {
                    let ask = HedgeAsk {
                        started_at: value,
                        hedges_sent: u64::from(op >> 2),
                        quantile_ns: quantiles.as_ref().ok().and_then(|qs| qs.quantile(k.quantile(), now)),
                        samples: recorded,
                        deadline_left: now ^ value,
                    };
                    let d = k.next(now, &ask, &budget);
                    assert!(i.floor_ns <= d.delay && d.delay <= i.ceiling_ns);
                    if d.action == HedgeAction::Send {
                        assert!(now >= d.due);
                    }
                }
            }
        }
    }
});
