//! Model checks of the hot-key detector: racing records of known and new
//! keys in one set never lose or double a request (the counts add up to the
//! requests), and two racing first requests of one key are one key to `top`.
//! Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p weir-core --release --test loom_hot_keys`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::hot_keys::{HotKey, HotKeys, HotKeysConfig, HotSet};

fn one_set() -> Arc<HotKeys<[HotSet; 1]>> {
    Arc::new(HotKeys::new(HotKeysConfig { half_life_ns: u64::MAX }).unwrap())
}

#[test]
fn racing_records_add_up() {
    loom::model(|| {
        let hot = one_set();
        hot.record(0, 5);
        let handles: Vec<_> = [5u64, 9]
            .into_iter()
            .map(|key| {
                let hot = hot.clone();
                thread::spawn(move || hot.record(0, key))
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(hot.total(0), 3);
        let mut top = [HotKey::default(); 2];
        assert_eq!(hot.top(0, &mut top), 2);
        assert_eq!(top[0], HotKey { key: 5, count: 2, error: 0 });
        assert_eq!(top[1].key, 9);
    });
}

#[test]
fn racing_first_requests_of_one_key_are_one_key() {
    loom::model(|| {
        let hot = one_set();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let hot = hot.clone();
                thread::spawn(move || hot.record(0, 42))
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(hot.total(0), 2);
        let mut top = [HotKey::default(); 2];
        assert_eq!(hot.top(0, &mut top), 1, "{top:?}");
        assert_eq!(top[0], HotKey { key: 42, count: 2, error: 0 });
    });
}
