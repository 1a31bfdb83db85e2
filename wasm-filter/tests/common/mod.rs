//! Finds (building if needed) the release `weir_filter.wasm` and compiles it once per test binary.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use weir_proxy_wasm_testhost::{Host, Plugin, Vm};

/// `WEIR_FILTER_WASM` if set; else builds the filter for wasm32-wasip1 in
/// the target dir this test runs from, so `cargo test` alone is enough.
fn wasm_path() -> PathBuf {
    if let Some(p) = std::env::var_os("WEIR_FILTER_WASM") {
        return PathBuf::from(p);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| manifest.join("..").join("target"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--target", "wasm32-wasip1", "-p", "weir-filter"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&manifest)
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build the filter: {e}"));
    assert!(status.success(), "building weir_filter.wasm failed");
    target.join("wasm32-wasip1/release/weir_filter.wasm")
}

pub fn plugin() -> &'static Plugin {
    static PLUGIN: OnceLock<Plugin> = OnceLock::new();
    PLUGIN.get_or_init(|| {
        let path = wasm_path();
        Plugin::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

/// A host and one configured VM; panics if the configuration is refused.
pub fn start(config: &str) -> (Host, Vm) {
    let host = Host::new();
    let vm = host.start(plugin(), config.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    (host, vm)
}

pub fn started(host: &Host, config: &str) -> Vm {
    let mut vm = host.instantiate(plugin()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(vm.configure(config.as_bytes()), Ok(true), "config refused: {:?}", host.logs());
    vm
}
