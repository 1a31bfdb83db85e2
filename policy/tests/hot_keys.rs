//! `limit.hot_keys`: a keyed limit reports the keys it decides most often,
//! as gauges per rank, on `hot_keys_path` and through `ProcessPolicy`,
//! without changing a decision.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use weir_policy::config;
use weir_policy::hot_keys::{self, HotKeyCount};
use weir_policy::plan;
use weir_policy::process::{ProcessPolicy, ProcessStore, RequestView};

/// 50 per second per caller key, its top `k` keys reported.
fn policy_json(k: u64) -> String {
    format!(
        r#"{{"seed": "s", "hot_keys_path": "/weir/hot_keys", "rules": [{{"name": "u",
             "limit": {{"rate": 50, "key": "caller", "hot_keys": {k}}}}}]}}"#
    )
}

/// A Zipf(1.1)-ish stream of ranks over 2,000 keys, from a fixed xorshift.
fn zipf(n: usize) -> Vec<usize> {
    let weights: Vec<f64> = (1..=2_000).map(|r| 1.0 / (r as f64).powf(1.1)).collect();
    let total: f64 = weights.iter().sum();
    let cumulative: Vec<f64> =
        weights.iter().scan(0.0, |acc, w| Some(*acc + w / total).inspect(|v| *acc = *v)).collect();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            cumulative.partition_point(|c| *c < u).min(1_999)
        })
        .collect()
}

fn ask(p: &ProcessPolicy, key: &str, now: u64) -> Option<u32> {
    let req = RequestView { method: b"GET", path: b"/", key: Some(key.as_bytes()), ..RequestView::default() };
    p.check_at(&req, now).refusal.map(|a| a.status)
}

fn names(keys: &[HotKeyCount]) -> Vec<String> {
    keys.iter().map(|k| String::from_utf8(k.key.clone()).unwrap()).collect()
}

#[test]
fn a_zipf_stream_reports_its_hottest_keys_and_decides_as_without_them() {
    let with = ProcessPolicy::from_json_at(&policy_json(4), 0, 1).unwrap();
    let without = ProcessPolicy::from_json_at(&policy_json(0).replace(r#", "hot_keys": 0"#, ""), 0, 1).unwrap();
    let mut refused = 0;
    for (i, rank) in zipf(20_000).into_iter().enumerate() {
        let key = format!("tenant-{rank}");
        let now = i as u64 * 100_000; // 10,000 requests per second
        let verdict = ask(&with, &key, now);
        assert_eq!(verdict, ask(&without, &key, now), "request {i} ({key})");
        refused += u32::from(verdict.is_some());
    }
    assert!(refused > 0, "the hot keys were refused too: the stream exercised both answers");
    let top = with.hot_keys_at("u", 2 * weir_core::SECOND).unwrap();
    assert_eq!(names(&top[0]), ["tenant-0", "tenant-1", "tenant-2", "tenant-3"], "{top:?}");
    assert_eq!(without.hot_keys("u").unwrap(), vec![vec![]]);
    assert_eq!(with.hot_keys("nope"), None);
}

#[test]
fn gauges_are_one_per_rank_and_hold_the_guaranteed_count() {
    let json = r#"{"seed": "s", "rules": [{"name": "api", "limit": [
        {"rate": 100, "key": {"header": "x-user"}},
        {"rate": 1000, "per": "1h", "key": {"header": "x-user"}, "hot_keys": 2}]}]}"#;
    let plan = plan::build(config::parse(json.as_bytes()).unwrap(), ProcessStore::private(), 0, 1).unwrap();
    assert_eq!(hot_keys::gauge_names(&plan), ["weir.api.l1.hot_key.1", "weir.api.l1.hot_key.2"]);
    assert_eq!(hot_keys::gauge_values(&plan, 0), [0, 0]);
    let p = ProcessPolicy::from_json_at(json, 0, 1).unwrap();
    for (user, n) in [("ann", 7), ("bob", 3), ("cy", 1)] {
        for _ in 0..n {
            let headers: &[(&[u8], &[u8])] = &[(b"x-user", user.as_bytes())];
            let req = RequestView { method: b"GET", path: b"/", headers, ..RequestView::default() };
            assert!(p.check_at(&req, 0).refusal.is_none());
        }
    }
    let top = p.hot_keys_at("api", 0).unwrap();
    assert!(top[0].is_empty(), "the first limit reports nothing");
    assert_eq!(names(&top[1]), ["ann", "bob"]);
    assert_eq!((top[1][0].count, top[1][0].error), (7, 0));
}

#[test]
fn the_admin_path_answers_loopback_clients_only() {
    let p = ProcessPolicy::from_json_at(&policy_json(2), 0, 1).unwrap();
    for _ in 0..5 {
        ask(&p, "alice", 0);
    }
    for _ in 0..2 {
        ask(&p, "bob", 0);
    }
    ask(&p, "cy", 0);
    let admin = |address: &'static [u8], path: &'static [u8]| {
        let req = RequestView { method: b"GET", path, client_address: Some(address), ..RequestView::default() };
        p.check_at(&req, 0).refusal
    };
    let answer = admin(b"127.0.0.1:4000", b"/weir/hot_keys?pretty").expect("a local answer");
    assert_eq!(answer.status, 200);
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    let keys = &body["limits"][0]["keys"];
    assert_eq!(body["limits"][0]["rule"], "u");
    assert_eq!((keys[0]["key"].as_str(), keys[0]["count"].as_u64()), (Some("alice"), Some(5)), "{body}");
    assert_eq!(keys[1]["key"], "bob");
    assert_eq!((keys.as_array().unwrap().len(), keys[2]["key"].as_str()), (2, None), "the top 2 only");
    assert!(admin(b"10.1.2.3:4000", b"/weir/hot_keys").is_none(), "a remote client goes through the rules");
    assert!(admin(b"127.0.0.1:4000", b"/weir/other").is_none());
}

#[test]
fn bad_settings_name_the_field_and_the_value() {
    let problem = |json: &str| config::parse(json.as_bytes()).unwrap_err().to_string();
    let too_many = problem(r#"{"rules": [{"name": "u", "limit": {"rate": 5, "key": "caller", "hot_keys": 33}}]}"#);
    assert_eq!(too_many, r#"rule #1 "u": limit.hot_keys must be an integer in [0, 32], got 33"#);
    let unkeyed = problem(r#"{"rules": [{"name": "u", "limit": [{"rate": 5}, {"rate": 9, "hot_keys": 3}]}]}"#);
    assert!(unkeyed.contains("limit[1].hot_keys needs a keyed limit") && unkeyed.contains("got 3"), "{unkeyed}");
    let path = problem(r#"{"hot_keys_path": "weir", "rules": [{"name": "u", "limit": {"rate": 5}}]}"#);
    assert_eq!(path, r#"hot_keys_path must be a path starting with "/" (no query), got "weir""#);
}
