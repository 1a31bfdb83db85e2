//! `hot_keys` vectors: records, `top(k)` and per-key estimates through both
//! cells, over `capacity / 16` sets.

use super::common::*;
use serde_json::Value;
use weir_core::hot_keys::{HotKey, HotKeys, HotKeysConfig, HotSet, PlainHotKeys, PlainHotSet, WAYS};
use weir_core::ConfigError;

type Atomic = HotKeys<Box<[HotSet]>>;
type Plain = PlainHotKeys<Box<[PlainHotSet]>>;

fn build(c: &Value) -> Result<(Atomic, Plain), ConfigError> {
    let capacity = field_u64(c, "capacity").unwrap_or(0);
    if capacity % WAYS as u64 != 0 {
        return Err(ConfigError::new("capacity", "a multiple of 16", weir_core::Value::Unsigned(capacity)));
    }
    let config =
        HotKeysConfig { half_life_ns: field_u64(c, "half_life_ns").unwrap_or(HotKeysConfig::default().half_life_ns) };
    let sets = (capacity / WAYS as u64) as usize;
    let atomic = HotKeys::with_storage(config, (0..sets).map(|_| HotSet::new()).collect::<Box<[_]>>())?;
    let plain = PlainHotKeys::with_storage(config, (0..sets).map(|_| PlainHotSet::new()).collect::<Box<[_]>>())?;
    Ok((atomic, plain))
}

pub fn config_error(_: &str, c: &Value) -> Option<ConfigError> {
    build(c).err()
}

pub fn replay(_: &str, c: &Value, steps: &[Value]) {
    let (atomic, mut plain) = build(c).unwrap_or_else(|e| panic!("{e}"));
    for (i, step) in steps.iter().enumerate() {
        let now = at(step);
        match op(step) {
            "record" => {
                let key = arg(step, "key");
                for _ in 0..step["args"].get("count").map_or(1, num) {
                    atomic.record(now, key);
                    plain.record(now, key);
                }
            }
            "top" => {
                let mut got = vec![HotKey::default(); arg(step, "k") as usize];
                let mut from_plain = got.clone();
                let n = atomic.top(now, &mut got);
                assert_eq!(n, plain.top(now, &mut from_plain), "step {i}: cells disagree");
                got.truncate(n);
                assert_eq!(got, from_plain[..n], "step {i}: cells disagree");
                if let Some(want) = expect(step).get("keys") {
                    let want: Vec<HotKey> = want
                        .as_array()
                        .unwrap_or_else(|| panic!("step {i}: keys is not a list"))
                        .iter()
                        .map(|k| HotKey { key: num(&k["key"]), count: num(&k["count"]), error: num(&k["error"]) })
                        .collect();
                    assert_eq!(got, want, "step {i} ({step}): keys");
                }
            }
            "estimate" => {
                let e = atomic.estimate(now, arg(step, "key"));
                assert_eq!(e, plain.estimate(now, arg(step, "key")), "step {i}: cells disagree");
                check_u64(step, i, "count", e.count);
                check_u64(step, i, "error", e.error);
            }
            other => panic!("unknown hot_keys op {other}"),
        }
        assert_eq!(atomic.total(now), plain.total(now), "step {i}: totals disagree");
        check_u64(step, i, "total", atomic.total(now));
    }
}
