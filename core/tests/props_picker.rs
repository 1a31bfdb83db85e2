//! p2c never picks an unhealthy node while a healthy one is up (force-picks
//! aside, which are the probe that lets a node recover, and are marked), and
//! in-flight counts are exact; both cells agree.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::picker::{NodeSlot, NodeState, Outcome, PickTicket, Picker, PickerConfig, PlainNodeSlot, PlainPicker};
use weir_core::MILLISECOND;

#[derive(Debug, Clone)]
enum Op {
    Pick(u64),
    Done(usize, u64, bool, Option<u16>),
    Toggle(u32),
}

fn ops() -> impl Strategy<Value = Vec<(u64, Op)>> {
    prop::collection::vec(
        (
            0u64..50 * MILLISECOND,
            prop_oneof![
                4 => any::<u64>().prop_map(Op::Pick),
                4 => (any::<usize>(), 0u64..200 * MILLISECOND, any::<bool>(), proptest::option::of(0u16..1000))
                    .prop_map(|(i, l, ok, cpu)| Op::Done(i, l, ok, cpu)),
                1 => (0u32..8).prop_map(Op::Toggle),
            ],
        ),
        1..250,
    )
}

proptest! {
    #[test]
    fn healthy_first_and_exact_in_flight(nodes in 1usize..8, force in prop_oneof![Just(0u64), 1u64..500 * MILLISECOND], trace in ops()) {
        let config = PickerConfig { force_pick_ns: force, ..PickerConfig::default() };
        let (Ok(atomic), Ok(mut plain)) = (
            Picker::new(config, (0..8).map(|_| NodeSlot::new()).collect::<Box<[_]>>()),
            PlainPicker::new(config, vec![PlainNodeSlot::default(); 8]),
        ) else {
            return Err(TestCaseError::fail("valid config refused"));
        };
        for id in 0..nodes as u64 {
            prop_assert_eq!(atomic.add(id, 0), plain.add(id, 0));
        }
        let kernel = *atomic.kernel();
        let mut outstanding: Vec<PickTicket> = Vec::new();
        let mut now = 0;
        for (gap, op) in trace {
            now += gap;
            match op {
                Op::Pick(draw) => {
                    let healthy_up = (0..8u32).filter_map(|i| atomic.node(i))
                        .any(|n| n.state == NodeState::Up && kernel.healthy(n.success, n.cpu_permille));
                    let t = atomic.pick(now, draw);
                    prop_assert_eq!(t, plain.pick(now, draw));
                    if let Some(t) = t {
                        let n = atomic.node(t.index);
                        prop_assert!(n.is_some_and(|n| n.state == NodeState::Up));
                        if healthy_up && !t.forced {
                            prop_assert!(n.is_some_and(|n| kernel.healthy(n.success, n.cpu_permille)), "picked unhealthy node {:?}", n);
                        }
                        prop_assert!(force > 0 || !t.forced);
                        outstanding.push(t);
                    } else {
                        prop_assert!((0..8u32).filter_map(|i| atomic.node(i)).all(|n| n.state != NodeState::Up));
                    }
                }
                Op::Done(i, latency, ok, cpu) => {
                    if !outstanding.is_empty() {
                        let t = outstanding.swap_remove(i % outstanding.len());
                        let outcome = Outcome { latency_ns: latency, success: ok, cpu_permille: cpu };
                        prop_assert!(atomic.done(t, now, outcome));
                        prop_assert!(plain.done(t, now, outcome));
                    }
                }
                Op::Toggle(i) => {
                    let up = atomic.node(i).is_some_and(|n| n.state == NodeState::Down);
                    prop_assert_eq!(atomic.set_up(i, up), plain.set_up(i, up));
                }
            }
            for i in 0..8u32 {
                let open = outstanding.iter().filter(|t| t.index == i).count() as u64;
                prop_assert_eq!(atomic.node(i).map(|n| n.in_flight), Some(open));
                prop_assert_eq!(atomic.node(i), plain.node(i));
            }
        }
    }
}
