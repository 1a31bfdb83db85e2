//! Properties of the hot-key detector over arbitrary streams: the atomic and
//! plain cells agree; without decay the counts add up to the requests; every
//! count brackets its key's true count (`count - error <= true <= count`); a
//! key without a counter is bounded by its estimate; `top` is ranked and
//! within the table; with decay, nothing ever counts more than was recorded.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use std::collections::HashMap;
use weir_core::hot_keys::{HotKey, HotKeys, HotKeysConfig, HotSet, PlainHotKeys, PlainHotSet};
use weir_core::MILLISECOND;

fn keys() -> impl Strategy<Value = Vec<u64>> {
    // Few distinct keys with a skew, so some stay and some churn.
    prop::collection::vec((0u32..6, any::<u64>()).prop_map(|(r, k)| if r < 3 { u64::from(r) } else { k % 97 }), 1..400)
}

proptest! {
    #[test]
    fn counts_bracket_the_truth(stream in keys(), k in 0usize..40) {
        let config = HotKeysConfig { half_life_ns: u64::MAX };
        let atomic = HotKeys::<[HotSet; 2]>::new(config).unwrap();
        let mut plain = PlainHotKeys::<[PlainHotSet; 2]>::new(config).unwrap();
        let mut truth: HashMap<u64, u64> = HashMap::new();
        for (i, key) in stream.iter().enumerate() {
            atomic.record(i as u64, *key);
            plain.record(i as u64, *key);
            *truth.entry(*key).or_default() += 1;
        }
        let now = stream.len() as u64;
        prop_assert_eq!(atomic.total(now), stream.len() as u64);
        let (mut top, mut top_plain) = (vec![HotKey::default(); k], vec![HotKey::default(); k]);
        let n = atomic.top(now, &mut top);
        prop_assert_eq!(n, plain.top(now, &mut top_plain));
        prop_assert_eq!(&top, &top_plain);
        prop_assert!(n <= k.min(32));
        for pair in top[..n].windows(2) {
            prop_assert!(pair[0].guaranteed() >= pair[1].guaranteed());
        }
        for key in truth.keys().copied().chain([1_000_003]) {
            let t = truth.get(&key).copied().unwrap_or(0);
            let e = atomic.estimate(now, key);
            prop_assert_eq!(e, plain.estimate(now, key));
            prop_assert!(e.count - e.error <= t && t <= e.count, "{:?} vs true {}", e, t);
        }
    }

    #[test]
    fn decay_never_adds(stream in keys(), gaps in prop::collection::vec(0u64..3 * MILLISECOND, 1..400)) {
        let config = HotKeysConfig { half_life_ns: MILLISECOND };
        let atomic = HotKeys::<[HotSet; 1]>::new(config).unwrap();
        let mut plain = PlainHotKeys::<[PlainHotSet; 1]>::new(config).unwrap();
        let (mut now, mut recorded) = (0u64, 0u64);
        for (key, gap) in stream.iter().zip(gaps.iter().cycle()) {
            now += gap;
            let before = atomic.total(now);
            atomic.record(now, *key);
            plain.record(now, *key);
            recorded += 1;
            prop_assert_eq!(atomic.total(now), before + 1, "a record adds one to the halved counts");
            prop_assert!(atomic.total(now) <= recorded);
            prop_assert_eq!(atomic.total(now), plain.total(now));
        }
        prop_assert_eq!(atomic.total(now + 40 * MILLISECOND), 0, "32 halvings empty every counter");
    }
}
