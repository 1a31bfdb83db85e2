//! Singleflight never has two leaders for one key at once, every follower
//! belongs to a live flight of its key, and slots free when the last caller
//! is gone; both cells agree.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use std::collections::HashMap;
use weir_core::singleflight::{Flight, FlightSlot, PlainFlightSlot, PlainSingleflight, Singleflight, Ticket};

#[derive(Debug, Clone)]
enum Op {
    Begin(u64),
    Finish(usize),
    Leave(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => (0u64..6).prop_map(Op::Begin),
            1 => any::<usize>().prop_map(Op::Finish),
            2 => any::<usize>().prop_map(Op::Leave),
        ],
        1..200,
    )
}

proptest! {
    #[test]
    fn one_leader_per_key(capacity in 1usize..6, trace in ops()) {
        let Ok(atomic) = Singleflight::new((0..capacity).map(|_| FlightSlot::new()).collect::<Box<[_]>>()) else {
            return Err(TestCaseError::fail("valid capacity refused"));
        };
        let Ok(mut plain) = PlainSingleflight::new(vec![PlainFlightSlot::default(); capacity]) else {
            return Err(TestCaseError::fail("valid capacity refused"));
        };
        let mut leaders: HashMap<u64, Ticket> = HashMap::new(); // key -> running leader
        let mut followers: Vec<(u64, Ticket)> = Vec::new();
        for op in trace {
            match op {
                Op::Begin(key) => {
                    let f = atomic.begin(key);
                    prop_assert_eq!(f, plain.begin(key));
                    match f {
                        Flight::Leader(t) => {
                            prop_assert!(!leaders.contains_key(&key), "second leader for key {}", key);
                            leaders.insert(key, t);
                        }
                        Flight::Follower(t) => {
                            prop_assert_eq!(leaders.get(&key), Some(&t), "follower of a flight that is not running");
                            followers.push((key, t));
                        }
                        Flight::TableFull => {
                            let slot_busy_with_other = leaders.iter().any(|(k, _)| *k != key)
                                || followers.iter().any(|(k, _)| *k != key);
                            prop_assert!(slot_busy_with_other, "table_full with no other key in flight");
                        }
                    }
                }
                Op::Finish(i) => {
                    let mut keys: Vec<u64> = leaders.keys().copied().collect();
                    keys.sort_unstable();
                    if let Some(&key) = keys.get(i % keys.len().max(1)) {
                        let Some(t) = leaders.remove(&key) else { continue };
                        prop_assert!(atomic.finish(t));
                        prop_assert!(plain.finish(t));
                        prop_assert!(!atomic.finish(t), "a second finish must be stale");
                        prop_assert!(!plain.finish(t));
                    }
                }
                Op::Leave(i) => {
                    if !followers.is_empty() {
                        let (_, t) = followers.swap_remove(i % followers.len());
                        prop_assert!(atomic.leave(t));
                        prop_assert!(plain.leave(t));
                    }
                }
            }
        }
        for t in leaders.values() {
            prop_assert!(atomic.finish(*t));
        }
        for (_, t) in &followers {
            prop_assert!(atomic.leave(*t));
        }
        prop_assert_eq!(atomic.occupied(), 0, "every slot frees once everyone is gone");
    }
}
