//! The hot keys of a keyed limit (`"hot_keys": k`): which keys this worker
//! decided most often, in fixed memory, so an operator can see who drives a
//! limit.
//!
//! Each such limit holds core's Space-Saving table of [`COUNTERS`] counters
//! (four sets of sixteen) over the key hash the limit already computed, and
//! the key bytes of the keys that hold a counter, so a report names the
//! caller's own keys. Counts halve every [`HALF_LIFE_NS`], so the report
//! follows the traffic of the last tens of seconds. The table is the
//! worker's own and nothing a decision reads: recording cannot change one.
//! Per worker, like the throttle: each worker counts what it decides, and a
//! key hot across the proxy is hot in every worker's share.

mod report;

pub use report::{answer, gauge_names, gauge_values, of_rule};

use std::collections::HashMap;
use weir_core::hot_keys::{HotKey, HotKeysConfig, PlainHotKeys, PlainHotSet};
use weir_core::{ConfigError, SECOND};

/// Counters per limit: a key with more than 1/16 of its set's requests
/// (about 1/64 of the limit's) always holds one.
pub const COUNTERS: usize = 64;
/// Most keys a limit may report; beyond half the counters the ranks of the
/// tail are mostly error.
pub const MAX_REPORTED: u64 = 32;
/// Counts halve at every multiple of this on the request clock.
pub const HALF_LIFE_NS: u64 = 10 * SECOND;

const SETS: usize = COUNTERS / weir_core::hot_keys::WAYS;

/// One key of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotKeyCount {
    /// The key's bytes as the limit read them (a composite key's parts
    /// joined by `|`); empty for a key seen once, whose bytes are not kept.
    pub key: Vec<u8>,
    /// At most this many requests (decayed).
    pub count: u64,
    /// How much of `count` may belong to other keys: it surely had
    /// `count - error`.
    pub error: u64,
}

impl HotKeyCount {
    /// The requests it surely had.
    pub fn guaranteed(&self) -> u64 {
        self.count.saturating_sub(self.error)
    }
}

/// One limit's detector and the bytes of the keys it tracks.
#[derive(Debug)]
pub struct LimitHotKeys {
    table: PlainHotKeys<[PlainHotSet; SETS]>,
    names: HashMap<u64, Box<[u8]>>,
    report: usize,
}

impl LimitHotKeys {
    /// A detector reporting the top `report` keys (1 to [`MAX_REPORTED`]).
    pub fn new(report: u64) -> Result<Self, ConfigError> {
        let table = PlainHotKeys::new(HotKeysConfig { half_life_ns: HALF_LIFE_NS })?;
        Ok(Self { table, names: HashMap::new(), report: report.min(MAX_REPORTED) as usize })
    }

    /// How many keys a report holds at most.
    pub fn reported(&self) -> usize {
        self.report
    }

    /// Counts one request for the key hashed to `hash`; `bytes` is asked
    /// for only when the key's bytes are not kept yet and it surely had two
    /// requests.
    #[inline(never)]
    pub fn record(&mut self, now: u64, hash: u64, bytes: impl FnOnce() -> Option<Vec<u8>>) {
        self.table.record(now, hash);
        if self.names.contains_key(&hash) {
            return;
        }
        // A key's bytes are copied on its second request while it holds a
        // counter, not its first: a stream of one-off keys (random ids, a
        // scan) costs no copy per request, and a hot key is named from its
        // second request on.
        if self.table.estimate(now, hash).guaranteed() < 2 {
            return;
        }
        if let Some(b) = bytes() {
            self.names.insert(hash, b.into_boxed_slice());
        }
        // Every key ever seen would grow without bound; past twice the
        // table, keep only the keys that still hold a counter.
        if self.names.len() > 2 * COUNTERS {
            let mut tracked = [HotKey::default(); COUNTERS];
            let n = self.table.top(now, &mut tracked);
            let keep = tracked.get(..n).unwrap_or(&[]);
            self.names.retain(|h, _| keep.iter().any(|k| k.key == *h));
        }
    }

    /// The keys that surely had the most requests at `now`, at most
    /// [`Self::reported`], largest `count - error` first.
    pub fn top(&self, now: u64) -> Vec<HotKeyCount> {
        let mut out = [HotKey::default(); MAX_REPORTED as usize];
        let n = self.table.top(now, out.get_mut(..self.report).unwrap_or(&mut []));
        out.iter()
            .take(n)
            .map(|h| HotKeyCount {
                key: self.names.get(&h.key).map(|b| b.to_vec()).unwrap_or_default(),
                count: h.count,
                error: h.error,
            })
            .collect()
    }

    /// Key copies kept, for tests of the bound.
    pub fn kept(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A Zipf(1.1)-ish stream over 10,000 keys from a fixed generator.
    fn zipf_stream(n: usize) -> Vec<u32> {
        let weights: Vec<f64> = (1..=10_000).map(|r| 1.0 / (r as f64).powf(1.1)).collect();
        let total: f64 = weights.iter().sum();
        let mut cumulative = Vec::with_capacity(weights.len());
        let mut acc = 0.0;
        for w in &weights {
            acc += w / total;
            cumulative.push(acc);
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                cumulative.partition_point(|c| *c < u).min(9_999) as u32
            })
            .collect()
    }

    fn hash(rank: u32) -> u64 {
        weir_core::hash::hash_key(format!("user:{rank}").as_bytes())
    }

    #[test]
    fn a_zipf_stream_yields_its_top_keys_by_name() {
        let mut hot = LimitHotKeys::new(5).unwrap();
        for rank in zipf_stream(100_000) {
            hot.record(0, hash(rank), || Some(format!("user:{rank}").into_bytes()));
        }
        let top = hot.top(0);
        let names: Vec<String> = top.iter().map(|k| String::from_utf8(k.key.clone()).unwrap()).collect();
        assert_eq!(names, ["user:0", "user:1", "user:2", "user:3", "user:4"], "{top:?}");
        assert!(top.windows(2).all(|w| w[0].guaranteed() >= w[1].guaranteed()));
        assert!(hot.kept() <= 2 * COUNTERS + 1, "{} key copies for {COUNTERS} counters", hot.kept());
    }

    #[test]
    fn bytes_are_asked_for_once_per_tracked_key() {
        let mut hot = LimitHotKeys::new(3).unwrap();
        let mut asked = 0;
        for _ in 0..100 {
            hot.record(0, 7, || {
                asked += 1;
                Some(b"k".to_vec())
            });
        }
        assert_eq!(asked, 1);
        assert_eq!(hot.top(0), vec![HotKeyCount { key: b"k".to_vec(), count: 100, error: 0 }]);
    }

    #[test]
    fn one_off_keys_are_never_copied() {
        let mut hot = LimitHotKeys::new(3).unwrap();
        let mut asked = 0;
        for key in 0..10_000u64 {
            hot.record(0, weir_core::hash::hash_key(&key.to_le_bytes()), || {
                asked += 1;
                Some(key.to_le_bytes().to_vec())
            });
        }
        assert_eq!((asked, hot.kept()), (0, 0));
    }

    #[test]
    fn counts_fade_with_the_half_life() {
        let mut hot = LimitHotKeys::new(1).unwrap();
        for _ in 0..64 {
            hot.record(0, 1, || Some(b"a".to_vec()));
        }
        assert_eq!(hot.top(3 * HALF_LIFE_NS)[0].count, 8);
    }
}
