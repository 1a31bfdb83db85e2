//! A plan's phase masks name exactly the rules that take part in each
//! phase, so a check that visits only those skips no rule it should run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use weir_policy::config;
use weir_policy::plan::{self, Phases};
use weir_policy::process::ProcessStore;

#[test]
fn each_phase_names_the_rules_that_have_it() {
    let json = r#"{"seed": "s", "rules": [
        {"name": "limit_only", "limit": {"rate": 5}},
        {"name": "throttle_and_deadline", "throttle": {"max_reject_probability": 0.5},
         "deadline": {"timeout": "2s", "margin": "10ms"}},
        {"name": "shed", "shed": {"max_in_flight": 1}},
        {"name": "pick_and_breaker", "pick": {"clusters": ["backend"]},
         "breaker": {"consecutive_failures": 3, "open_duration": "10s", "half_open_probes": 1}},
        {"name": "limit_and_throttle", "match": {"path_prefix": "/api"}, "limit": {"rate": 5},
         "throttle": {"max_reject_probability": 0.5}}
    ]}"#;
    let plan = plan::build(config::parse(json.as_bytes()).unwrap(), ProcessStore::private(), 0, 1).unwrap();
    assert_eq!(
        plan.phases,
        Phases {
            unconditional: 0b01111,
            conditional: 0b10000,
            limit: 0b10001,
            deadline: 0b00010,
            throttle: 0b10010,
            shed: 0b00100,
            pick: 0b01000,
            breaker: 0b01000
        }
    );
}
