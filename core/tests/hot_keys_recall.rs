//! Recall of the hot-key detector: the true top 100 of a Zipf(1.1) stream of
//! 10^7 requests over 10^6 keys (seeded), found with 1,024 counters. Every
//! count reported brackets the key's true count.
//!
//! A debug build replays the first 10^6 requests of the stream (10^7 take
//! 20 s there); the core-fuzz suite runs this test with `--release` at
//! 10^7, which is the bar.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use weir_core::hot_keys::{HotKey, HotKeys, HotKeysConfig, HotSet, PlainHotKeys, PlainHotSet};
use weir_core::random::SplitMix64;

const KEYS: usize = 1_000_000;
const REQUESTS: usize = if cfg!(debug_assertions) { 1_000_000 } else { 10_000_000 };
const TOP: usize = 100;

/// A bijection on u64 (murmur3's finaliser): distinct ranks, distinct keys
/// spread like hashes.
fn key_of(rank: usize) -> u64 {
    let mut x = rank as u64 + 1;
    x = (x ^ (x >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    x = (x ^ (x >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Ranks drawn from Zipf(s) over `n` keys by inverting the cumulative
/// distribution.
fn zipf_ranks(n: usize, s: f64, draws: usize, seed: u64) -> Vec<u32> {
    let mut cdf = Vec::with_capacity(n);
    let mut total = 0.0;
    for k in 1..=n {
        total += (k as f64).powf(-s);
        cdf.push(total);
    }
    let mut g = SplitMix64::new(seed);
    (0..draws)
        .map(|_| {
            let u = (g.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
            cdf.partition_point(|&c| c <= u).min(n - 1) as u32
        })
        .collect()
}

#[test]
fn finds_the_top_100_of_a_zipf_stream() {
    let ranks = zipf_ranks(KEYS, 1.1, REQUESTS, 0x21_9f00);
    let config = HotKeysConfig { half_life_ns: u64::MAX };
    let atomic = HotKeys::<[HotSet; 64]>::new(config).unwrap();
    let mut plain = PlainHotKeys::<[PlainHotSet; 64]>::new(config).unwrap();
    assert_eq!(atomic.capacity(), 1024);
    let mut exact = vec![0u32; KEYS];
    for (i, &rank) in ranks.iter().enumerate() {
        let key = key_of(rank as usize);
        atomic.record(i as u64, key);
        plain.record(i as u64, key);
        exact[rank as usize] += 1;
    }
    let now = REQUESTS as u64;
    assert_eq!(atomic.total(now), REQUESTS as u64, "every request is counted once");

    let mut truth: Vec<usize> = (0..KEYS).collect();
    truth.sort_by_key(|&r| (std::cmp::Reverse(exact[r]), r));
    let true_top: std::collections::HashSet<u64> = truth[..TOP].iter().map(|&r| key_of(r)).collect();
    let true_count: std::collections::HashMap<u64, u32> = (0..KEYS).map(|r| (key_of(r), exact[r])).collect();

    let mut found = [HotKey::default(); TOP];
    assert_eq!(atomic.top(now, &mut found), TOP);
    let mut from_plain = [HotKey::default(); TOP];
    plain.top(now, &mut from_plain);
    assert_eq!(found, from_plain, "the cells agree");
    for k in &found {
        let t = u64::from(true_count[&k.key]);
        assert!(k.count - k.error <= t && t <= k.count, "{k:?} brackets {t}");
    }
    let hits = found.iter().filter(|k| true_top.contains(&k.key)).count();
    let recall = hits as f64 / TOP as f64;
    eprintln!("recall of the top {TOP}: {recall:.2} ({hits} of {TOP}); 100th true count {}", exact[truth[TOP - 1]]);
    assert!(recall >= 0.95, "recall {recall}");
    // A key outside the table is bounded by its set's smallest counter.
    let cold = key_of(truth[KEYS - 1]);
    let e = atomic.estimate(now, cold);
    assert!(u64::from(true_count[&cold]) <= e.count);
}
