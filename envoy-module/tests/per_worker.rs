//! The per-worker table: one value per live thread, made once, past the
//! table's fixed slots too.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Barrier;
use weir_envoy::workers::{PerWorker, SLOTS};

#[test]
fn each_thread_gets_its_own_value_made_once() {
    let threads = SLOTS + 8;
    let table = PerWorker::<(usize, AtomicU32)>::default();
    let made = AtomicU32::new(0);
    // Every thread is alive at once, so no two share a thread pointer.
    let all_started = Barrier::new(threads);
    std::thread::scope(|scope| {
        for n in 0..threads {
            let (table, made, all_started) = (&table, &made, &all_started);
            scope.spawn(move || {
                all_started.wait();
                for round in 0..3 {
                    let value = table.get_or_make(|| {
                        made.fetch_add(1, Ordering::Relaxed);
                        Some((n, AtomicU32::new(0)))
                    });
                    let Some((owner, uses)) = value else { panic!("thread {n} got no value") };
                    assert_eq!(*owner, n, "thread {n} was given thread {owner}'s value");
                    assert_eq!(uses.fetch_add(1, Ordering::Relaxed), round);
                }
                all_started.wait();
            });
        }
    });
    // Past the table's slots, threads live in the overflow list; each made
    // its value exactly once.
    assert_eq!(made.load(Ordering::Relaxed), threads as u32);
}

#[test]
fn a_value_not_made_is_asked_for_again() {
    let table = PerWorker::<u8>::default();
    assert!(table.get_or_make(|| None).is_none());
    assert_eq!(table.get_or_make(|| Some(7)), Some(&7));
    assert_eq!(table.get_or_make(|| Some(9)), Some(&7));
}

#[test]
fn values_are_dropped_with_the_table() {
    let dropped = std::sync::Arc::new(());
    let table = PerWorker::<std::sync::Arc<()>>::default();
    let all_started = Barrier::new(4);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                all_started.wait();
                assert!(table.get_or_make(|| Some(dropped.clone())).is_some());
                all_started.wait();
            });
        }
    });
    assert_eq!(std::sync::Arc::strong_count(&dropped), 5);
    drop(table);
    assert_eq!(std::sync::Arc::strong_count(&dropped), 1);
}
