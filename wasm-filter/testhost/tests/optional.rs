//! The host treats every `proxy_on_*` callback as optional, as Envoy's does:
//! a module exporting only the ABI marker, an allocator and request headers
//! runs whole exchanges; one without the marker or the allocator is refused.
#![allow(clippy::unwrap_used, clippy::panic)]

use weir_proxy_wasm_testhost::{Error, Host, Plugin, Request, Upstream};

fn leb(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(id: u8, body: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    leb(body.len(), out);
    out.extend_from_slice(body);
}

fn name(s: &str, out: &mut Vec<u8>) {
    leb(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

const I32: u8 = 0x7f;

/// A module exporting `memory` and the functions named, each of one of three
/// shapes: `() -> ()`, `(i32) -> i32` returning 1024 (an allocator) or
/// `(i32, i32, i32) -> i32` returning 1 (headers callbacks: pause).
fn module(funcs: &[&str]) -> Vec<u8> {
    let shape = |f: &str| match f {
        "proxy_on_memory_allocate" => 1usize,
        "proxy_on_request_headers" | "proxy_on_response_headers" => 2,
        _ => 0,
    };
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    let types = [vec![0x60, 0, 0], vec![0x60, 1, I32, 1, I32], vec![0x60, 3, I32, I32, I32, 1, I32]];
    let mut body = vec![types.len() as u8];
    types.iter().for_each(|t| body.extend_from_slice(t));
    section(1, &body, &mut m);
    let mut body = Vec::new();
    leb(funcs.len(), &mut body);
    funcs.iter().for_each(|f| body.push(shape(f) as u8));
    section(3, &body, &mut m);
    section(5, &[1, 0, 1], &mut m);
    let mut body = Vec::new();
    leb(funcs.len() + 1, &mut body);
    name("memory", &mut body);
    body.extend_from_slice(&[2, 0]);
    for (i, f) in funcs.iter().enumerate() {
        name(f, &mut body);
        body.push(0);
        leb(i, &mut body);
    }
    section(7, &body, &mut m);
    let mut body = Vec::new();
    leb(funcs.len(), &mut body);
    for f in funcs {
        let code: &[u8] = match shape(f) {
            1 => &[0, 0x41, 0x80, 0x08, 0x0b],
            2 => &[0, 0x41, 1, 0x0b],
            _ => &[0, 0x0b],
        };
        leb(code.len(), &mut body);
        body.extend_from_slice(code);
    }
    section(10, &body, &mut m);
    m
}

#[test]
fn missing_callbacks_are_skipped() {
    let bytes = module(&["proxy_abi_version_0_2_1", "proxy_on_memory_allocate", "proxy_on_request_headers"]);
    let plugin = Plugin::from_bytes(&bytes).unwrap();
    assert_eq!(
        plugin.exported_functions(),
        ["proxy_abi_version_0_2_1", "proxy_on_memory_allocate", "proxy_on_request_headers"]
    );
    let host = Host::new();
    let mut vm = host.start(&plugin, b"{}").unwrap();
    assert_eq!(vm.configure(b"{}"), Ok(true), "no on_configure: accepted, as Envoy does");
    vm.tick().unwrap();
    let out = vm.http(&Request::get("/"), &Upstream::ok()).unwrap();
    assert_eq!(out.request_action, 1, "the one callback there is ran");
    assert!(!vm.is_dead());
}

#[test]
fn a_module_without_abi_marker_or_allocator_is_refused() {
    for funcs in [
        &["proxy_on_memory_allocate", "proxy_on_request_headers"][..],
        &["proxy_abi_version_0_2_1", "proxy_on_request_headers"][..],
    ] {
        let plugin = Plugin::from_bytes(&module(funcs)).unwrap();
        let refused = Host::new().start(&plugin, b"{}");
        assert!(matches!(refused, Err(Error::Load(_))), "{funcs:?}: {:?}", refused.err());
    }
}
