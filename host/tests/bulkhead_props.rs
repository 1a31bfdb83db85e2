//! The bulkhead's claims under arbitrary sequences and real threads: permits
//! never exceed the cap, the queue never exceeds its bound, hand-offs go
//! oldest first, and nothing leaks once every holder has released.

use proptest::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use weir_host::{Admission, Bulkhead, BulkheadSettings, Cancel, Refusal, Release};

#[derive(Debug, Clone)]
enum Op {
    Acquire,
    Try,
    Release,
    Cancel(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Acquire), Just(Op::Try), Just(Op::Release), (0usize..64).prop_map(Op::Cancel)]
}

proptest! {
    #[test]
    fn a_model_of_permits_and_a_fifo_queue_agrees(max in 1u64..4, max_queue in 0u64..5, ops in prop::collection::vec(op(), 1..200)) {
        let b: Bulkhead<u64> = Bulkhead::new(BulkheadSettings::new(max, Some(max_queue), None).unwrap());
        let (mut held, mut queue, mut next) = (0u64, VecDeque::<u64>::new(), 1u64);
        for op in ops {
            match op {
                Op::Acquire => match b.acquire(next) {
                    Admission::Acquired => {
                        prop_assert!(queue.is_empty() && held < max);
                        held += 1;
                    }
                    Admission::Queued(t) => {
                        prop_assert!(held == max && (queue.len() as u64) < max_queue);
                        queue.push_back(t);
                    }
                    Admission::Refused(r) => {
                        prop_assert!(held == max || !queue.is_empty());
                        let want = if max_queue == 0 { Refusal::ConcurrencyLimited } else { Refusal::QueueFull };
                        prop_assert_eq!(r, want);
                        prop_assert_eq!(queue.len() as u64, max_queue);
                    }
                },
                Op::Try => {
                    let d = b.try_acquire();
                    prop_assert_eq!(d.is_admitted(), queue.is_empty() && held < max);
                    if d.is_admitted() { held += 1; }
                }
                Op::Release => match b.release() {
                    Release::NotHeld => prop_assert_eq!(held, 0),
                    Release::Freed => { prop_assert!(queue.is_empty() && held > 0); held -= 1; }
                    Release::HandedOff(t, _) => prop_assert_eq!(Some(t), queue.pop_front(), "oldest first"),
                },
                Op::Cancel(i) => {
                    let ticket = queue.get(i % queue.len().max(1)).copied().unwrap_or(next + 1000);
                    match b.cancel(ticket, Refusal::Cancelled) {
                        Cancel::Removed(_) => { queue.retain(|t| *t != ticket); }
                        Cancel::NotWaiting => prop_assert!(!queue.contains(&ticket)),
                    }
                }
            }
            next += 1;
            prop_assert_eq!((b.in_flight(), b.queued()), (held, queue.len() as u64));
            prop_assert!(held <= max && b.queued() <= max_queue);
        }
    }
}

/// Threads acquire (waiting on a flag the releaser sets), cancel some waits
/// at random, and release; a permit granted to a cancelling waiter is
/// released by it. The cap holds at every step and nothing is left at the end.
#[test]
fn threads_never_exceed_the_cap_and_never_leak_a_permit() {
    const MAX: u64 = 3;
    const THREADS: usize = 8;
    const ROUNDS: usize = 3000;
    let b: Arc<Bulkhead<Arc<AtomicBool>>> = Arc::new(Bulkhead::new(BulkheadSettings::new(MAX, Some(4), None).unwrap()));
    let holding = Arc::new(AtomicU64::new(0));
    let peak = Arc::new(AtomicU64::new(0));
    let wake = |b: &Bulkhead<Arc<AtomicBool>>| {
        if let Release::HandedOff(_, flag) = b.release() {
            flag.store(true, Ordering::Release);
        }
    };
    let handles: Vec<_> = (0..THREADS)
        .map(|id| {
            let (b, holding, peak) = (b.clone(), holding.clone(), peak.clone());
            std::thread::spawn(move || {
                let mut seed = id as u64 * 0x9E37_79B9 + 1;
                let mut coin = move || {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed
                };
                for _ in 0..ROUNDS {
                    let flag = Arc::new(AtomicBool::new(false));
                    let got = match b.acquire(flag.clone()) {
                        Admission::Acquired => true,
                        Admission::Refused(_) => false,
                        Admission::Queued(ticket) => {
                            let patience = coin() % 200;
                            let mut spins = 0;
                            while !flag.load(Ordering::Acquire) && spins < patience {
                                std::thread::yield_now();
                                spins += 1;
                            }
                            if flag.load(Ordering::Acquire) {
                                true
                            } else {
                                match b.cancel(ticket, Refusal::WaitTimeout) {
                                    Cancel::Removed(_) => false,
                                    Cancel::NotWaiting => {
                                        // Granted as we gave up: the flag is on its way.
                                        while !flag.load(Ordering::Acquire) {
                                            std::hint::spin_loop();
                                        }
                                        coin() % 2 == 0 || {
                                            wake(&b);
                                            false
                                        }
                                    }
                                }
                            }
                        }
                    };
                    if got {
                        let now = holding.fetch_add(1, Ordering::AcqRel) + 1;
                        peak.fetch_max(now, Ordering::AcqRel);
                        assert!(now <= MAX, "{now} holders of {MAX} permits");
                        std::thread::yield_now();
                        holding.fetch_sub(1, Ordering::AcqRel);
                        wake(&b);
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let s = b.stats();
    assert_eq!((s.in_flight, s.queued), (0, 0), "{s:?}");
    assert!(peak.load(Ordering::Acquire) >= 2, "the holders overlapped");
    assert!(s.admitted_after_wait > 0 && s.refused[Refusal::WaitTimeout as usize] > 0, "{s:?}");
}
