//! The proxy-wasm callbacks this module exports, written against the ABI.
//!
//! Envoy's host (proxy-wasm-cpp-host) looks each `proxy_on_*` export up
//! once and skips, without entering the VM, every callback a module does not
//! export. So the module exports only what the filter acts on: contexts
//! being created (a stream learns its plugin), configuration, the stats
//! tick, request headers (the decisions), response headers (status, CPU,
//! latency, `x-ratelimit-*`) and a context's end (a stream that never got a
//! response still frees its slots). Bodies, trailers, metadata, `on_log`,
//! `on_delete` and `on_vm_start` are left to the host's defaults.
//!
//! The test host's `exports` test pins this list.

use crate::filter::{Root, Stream, CONTINUE};
use crate::streams::Streams;
use std::cell::RefCell;

struct Filter {
    /// Root contexts by id: one per plugin sharing this VM, a handful.
    roots: Vec<(u32, Root)>,
    streams: Streams<Stream>,
}

impl Filter {
    fn root(&mut self, id: u32) -> Option<&mut Root> {
        self.roots.iter_mut().find(|(r, _)| *r == id).map(|(_, root)| root)
    }
}

thread_local! {
    static FILTER: RefCell<Filter> = const { RefCell::new(Filter { roots: Vec::new(), streams: Streams::new() }) };
}

/// Runs `f` on the filter's state. A VM runs one callback at a time; the
/// host re-enters the module only through `proxy_on_memory_allocate`, which
/// does not touch this state, so the borrow cannot fail; if it ever did,
/// the callback answers `otherwise` instead of trapping.
fn with<R>(otherwise: R, f: impl FnOnce(&mut Filter) -> R) -> R {
    FILTER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut filter) => f(&mut filter),
        Err(_) => otherwise,
    })
}

/// The ABI version marker Envoy reads from the export list.
#[no_mangle]
pub extern "C" fn proxy_abi_version_0_2_1() {}

/// Where the host writes what it hands the module (header values, shared
/// data, the configuration); `host` takes these buffers back as `Vec`s.
#[no_mangle]
pub extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(size);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

#[no_mangle]
pub extern "C" fn proxy_on_context_create(id: u32, parent: u32) {
    with((), |f| {
        if parent == 0 {
            f.roots.retain(|(r, _)| *r != id);
            f.roots.push((id, Root::default()));
        } else {
            let stream = f.root(parent).map(|r| r.stream()).unwrap_or_default();
            f.streams.insert(id, stream);
        }
    });
}

#[no_mangle]
pub extern "C" fn proxy_on_configure(root: u32, size: usize) -> u32 {
    with(0, |f| {
        if f.root(root).is_none() {
            f.roots.push((root, Root::default()));
        }
        f.root(root).is_some_and(|r| r.configure(size)) as u32
    })
}

#[no_mangle]
pub extern "C" fn proxy_on_tick(root: u32) {
    with((), |f| {
        if let Some(r) = f.root(root) {
            r.flush();
        }
    });
}

#[no_mangle]
pub extern "C" fn proxy_on_request_headers(stream: u32, _headers: u32, _end_of_stream: u32) -> u32 {
    with(CONTINUE, |f| f.streams.get_mut(stream).map_or(CONTINUE, Stream::request_headers))
}

#[no_mangle]
pub extern "C" fn proxy_on_response_headers(stream: u32, _headers: u32, _end_of_stream: u32) -> u32 {
    with(CONTINUE, |f| {
        if let Some(s) = f.streams.get_mut(stream) {
            s.response_headers();
        }
        CONTINUE
    })
}

/// A context's end: Envoy calls it once per stream (reset or not) and for
/// a root when its plugin goes away. Answering 1 lets the host delete the
/// context at once.
#[no_mangle]
pub extern "C" fn proxy_on_done(id: u32) -> u32 {
    with(1, |f| {
        if let Some(mut s) = f.streams.remove(id) {
            s.done();
        } else if let Some(i) = f.roots.iter().position(|(r, _)| *r == id) {
            let (_, root) = f.roots.swap_remove(i);
            root.flush();
        }
        1
    })
}
