use crate::common::{plugin, started};
use weir_proxy_wasm_testhost::{Error, Host, Request, Upstream};

const CONFIG: &str = r#"{"debug": {"trap_on_header": "x-weir-trap"},
    "rules": [{"name": "l", "limit": {"rate": 1, "per": "1h", "burst": 2}}]}"#;

#[test]
fn the_debug_header_traps_and_a_reloaded_vm_keeps_the_spent_tokens() {
    let host = Host::new();
    let mut vm = started(&host, CONFIG);
    assert_eq!(vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status, 200);
    let trapped = vm.http(&Request::get("/").header("x-weir-trap", "1"), &Upstream::ok());
    assert!(matches!(trapped, Err(Error::Trap(_))), "{trapped:?}");
    assert!(vm.is_dead());
    // What FAIL_RELOAD does: a fresh VM, configured again; shared data stays.
    let mut reloaded = host.instantiate(plugin()).unwrap();
    assert_eq!(reloaded.configure(CONFIG.as_bytes()), Ok(true));
    assert_eq!(reloaded.http(&Request::get("/"), &Upstream::ok()).unwrap().status, 200);
    assert_eq!(reloaded.http(&Request::get("/"), &Upstream::ok()).unwrap().status, 429);
}

#[test]
fn without_the_switch_the_header_is_just_a_header() {
    let host = Host::new();
    let mut vm = started(&host, r#"{"rules": [{"name": "l", "limit": {"rate": 5}}]}"#);
    assert_eq!(vm.http(&Request::get("/").header("x-weir-trap", "1"), &Upstream::ok()).unwrap().status, 200);
}
