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

#[test]
fn a_rule_without_a_match_meets_every_request_and_one_with_a_match_only_its_own() {
    use weir_policy::process::{ProcessPolicy, RequestView};
    let p = ProcessPolicy::from_json_at(
        r#"{"rules": [
            {"name": "api", "match": {"path_prefix": "/api", "method": "GET"}, "limit": {"rate": 1, "per": "1h"}},
            {"name": "all", "limit": {"rate": 3, "per": "1h"}}
        ]}"#,
        0,
        7,
    )
    .unwrap();
    let request = |method: &'static [u8], path: &'static [u8]| RequestView { method, path, ..RequestView::default() };
    let refused_by = |method, path| p.check_at(&request(method, path), 0).refusal.map(|r| r.rule);
    assert_eq!(refused_by(b"GET", b"/api/a"), None, "both rules admit; each spends a token");
    assert_eq!(refused_by(b"GET", b"/api/b?q=1"), Some("api".into()), "api's one token is spent");
    assert_eq!(refused_by(b"POST", b"/api/a"), None, "not api's method: only `all` decides");
    assert_eq!(refused_by(b"GET", b"/other"), None, "not api's path: `all` spends its third token");
    assert_eq!(
        refused_by(b"GET", b"/other"),
        Some("all".into()),
        "`all`'s three tokens went to the requests api let by"
    );
}
