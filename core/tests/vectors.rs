//! Replays every conformance vector in `tests/vectors/` (format in its
//! README). Each primitive's replay lives in `tests/replay/<primitive>.rs`;
//! `route` maps a vector's `primitive` to a function that replays its steps
//! and one that returns the config error building it gives, if any.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "replay/adaptive_limit.rs"]
mod adaptive_limit;
#[path = "replay/backoff.rs"]
mod backoff;
#[path = "replay/breaker.rs"]
mod breaker;
#[path = "replay/budget.rs"]
mod budget;
#[path = "replay/common.rs"]
mod common;
#[path = "replay/deadline.rs"]
mod deadline;
#[path = "replay/hedge.rs"]
mod hedge;
#[path = "replay/hot_keys.rs"]
mod hot_keys;
#[path = "replay/lease.rs"]
mod lease;
#[path = "replay/limiter.rs"]
mod limiter;
#[path = "replay/picker.rs"]
mod picker;
#[path = "replay/quantile.rs"]
mod quantile;
#[path = "replay/shedder.rs"]
mod shedder;
#[path = "replay/singleflight.rs"]
mod singleflight;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

type Replay = Box<dyn Fn(&Value, &[Value])>;
type ConfigErrorOf = Box<dyn Fn(&Value) -> Option<weir_core::ConfigError>>;

fn route(primitive: &'static str) -> (Replay, ConfigErrorOf) {
    match primitive {
        "limiter" | "keyed_limiter" | "concurrency_limiter" | "multi_limiter" => (
            Box::new(move |c, s| limiter::replay(primitive, c, s)),
            Box::new(move |c| limiter::config_error(primitive, c)),
        ),
        "shedder" | "throttle" => (
            Box::new(move |c, s| shedder::replay(primitive, c, s)),
            Box::new(move |c| shedder::config_error(primitive, c)),
        ),
        "lease" => {
            (Box::new(move |c, s| lease::replay(primitive, c, s)), Box::new(move |c| lease::config_error(primitive, c)))
        }
        "picker" => (
            Box::new(move |c, s| picker::replay(primitive, c, s)),
            Box::new(move |c| picker::config_error(primitive, c)),
        ),
        "backoff" => (
            Box::new(move |c, s| backoff::replay(primitive, c, s)),
            Box::new(move |c| backoff::config_error(primitive, c)),
        ),
        "retry_budget" => (
            Box::new(move |c, s| budget::replay(primitive, c, s)),
            Box::new(move |c| budget::config_error(primitive, c)),
        ),
        "singleflight" => (
            Box::new(move |c, s| singleflight::replay(primitive, c, s)),
            Box::new(move |c| singleflight::config_error(primitive, c)),
        ),
        "breaker" => (
            Box::new(move |c, s| breaker::replay(primitive, c, s)),
            Box::new(move |c| breaker::config_error(primitive, c)),
        ),
        "adaptive_limit" => (
            Box::new(move |c, s| adaptive_limit::replay(primitive, c, s)),
            Box::new(move |c| adaptive_limit::config_error(primitive, c)),
        ),
        "deadline" => (
            Box::new(move |c, s| deadline::replay(primitive, c, s)),
            Box::new(move |c| deadline::config_error(primitive, c)),
        ),
        "quantile" => (
            Box::new(move |c, s| quantile::replay(primitive, c, s)),
            Box::new(move |c| quantile::config_error(primitive, c)),
        ),
        "hot_keys" => (
            Box::new(move |c, s| hot_keys::replay(primitive, c, s)),
            Box::new(move |c| hot_keys::config_error(primitive, c)),
        ),
        "hedge" => {
            (Box::new(move |c, s| hedge::replay(primitive, c, s)), Box::new(move |c| hedge::config_error(primitive, c)))
        }
        other => panic!("no replay for primitive {other:?}"),
    }
}

#[test]
fn every_vector_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut per_primitive: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let vector: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let primitive = vector["primitive"].as_str().unwrap_or_else(|| panic!("{}: no primitive", path.display()));
        let primitive: &'static str = Box::leak(primitive.to_string().into_boxed_str());
        let (replay, config_error) = route(primitive);
        let config = &vector["config"];
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if let Some(want) = vector.get("expect_config_error") {
                let err = config_error(config).unwrap_or_else(|| panic!("config was accepted"));
                assert_eq!(Some(err.field()), want["field"].as_str(), "wrong field in: {err}");
            } else {
                let steps = vector["steps"].as_array().unwrap_or_else(|| panic!("no steps"));
                replay(config, steps);
            }
        }));
        if let Err(e) = outcome {
            let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("{}: {}", path.display(), msg.unwrap_or_default());
        }
        *per_primitive.entry(primitive.to_string()).or_default() += 1;
    }
    for (primitive, count) in &per_primitive {
        assert!(*count >= 10, "{primitive} has only {count} vectors; every primitive needs at least 10");
    }
    assert!(per_primitive.contains_key("limiter"), "no limiter vectors found in {}", dir.display());
}
