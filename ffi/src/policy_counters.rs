//! A policy's counters as one snapshot: every `weir.<rule>.<outcome>` the
//! loaded document defines (the Envoy filter's names, across reloads for
//! names kept) with its total, so a metrics exporter asks the engine which
//! counters exist instead of deriving them from the document itself.

use crate::handle::{entry, free, publish};
use crate::policy::weir_policy;
use crate::status::weir_status;

/// The counters of a policy at the moment `weir_policy_counters` took them.
pub struct weir_counters {
    counters: Vec<(String, u64)>,
}

/// One counter; `name` is borrowed from its snapshot until `weir_counters_free`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_counter {
    pub name: *const u8,
    pub name_len: usize,
    pub value: u64,
}

/// Takes a snapshot of every counter of `policy`, in rule order.
///
/// # Safety
/// `policy` NULL or live; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_counters(policy: *const weir_policy, out: *mut *mut weir_counters) -> weir_status {
    entry!(policy; out => {
        let counters = policy.inner.counters();
        // SAFETY: `out` checked non-NULL.
        unsafe { publish(out, weir_counters { counters }) }
    })
}

/// How many counters the snapshot holds; 0 for NULL.
///
/// # Safety
/// `counters` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_counters_len(counters: *const weir_counters) -> usize {
    // SAFETY: NULL or live per the contract.
    unsafe { counters.as_ref() }.map_or(0, |c| c.counters.len())
}

/// The counter at `index`. `WEIR_STATUS_INVALID_ARGUMENT` past the end.
///
/// # Safety
/// `counters` NULL or live; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_counters_get(
    counters: *const weir_counters,
    index: usize,
    out: *mut weir_counter,
) -> weir_status {
    entry!(counters => out = {
        let Some((name, value)) = counters.counters.get(index) else {
            return crate::status::invalid_argument(&format!(
                "index must be below the {} counters, got {index}",
                counters.counters.len()
            ));
        };
        weir_counter { name: name.as_ptr(), name_len: name.len(), value: *value }
    })
}

/// Frees the snapshot and NULLs `*counters`.
///
/// # Safety
/// `counters` NULL, or the address of a variable holding NULL or a live snapshot.
#[no_mangle]
pub unsafe extern "C" fn weir_counters_free(counters: *mut *mut weir_counters) {
    // SAFETY: forwarded from the caller.
    unsafe { free(counters) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{weir_policy_check, weir_policy_free, weir_policy_new, weir_request};

    #[test]
    fn a_snapshot_names_every_counter_with_its_total() {
        let json = r#"{"rules": [{"name": "api", "limit": {"rate": 1, "per": "1h", "burst": 1}}]}"#;
        let mut policy = std::ptr::null_mut();
        // SAFETY: readable document, writable out.
        assert_eq!(unsafe { weir_policy_new(json.as_ptr(), json.len(), &mut policy) }, weir_status::Ok);
        let request =
            weir_request { method: b"GET".as_ptr(), method_len: 3, path: b"/".as_ptr(), path_len: 1, ..empty() };
        for now in [1, 2] {
            let mut verdict = std::ptr::null_mut();
            // SAFETY: live policy, readable request, writable out.
            assert_eq!(unsafe { weir_policy_check(policy, &request, now, &mut verdict) }, weir_status::Ok);
            // SAFETY: the caller's variable, NULL or a live verdict.
            unsafe { crate::policy::weir_verdict_free(&mut verdict) };
        }
        let mut snapshot = std::ptr::null_mut();
        // SAFETY: live policy, writable out.
        assert_eq!(unsafe { weir_policy_counters(policy, &mut snapshot) }, weir_status::Ok);
        let mut seen = Vec::new();
        // SAFETY: a live snapshot.
        for i in 0..unsafe { weir_counters_len(snapshot) } {
            let mut c = weir_counter { name: std::ptr::null(), name_len: 0, value: 0 };
            // SAFETY: a live snapshot, writable out; the name lives as long as the snapshot.
            assert_eq!(unsafe { weir_counters_get(snapshot, i, &mut c) }, weir_status::Ok);
            // SAFETY: as above.
            let name = unsafe { std::slice::from_raw_parts(c.name, c.name_len) };
            seen.push((String::from_utf8_lossy(name).into_owned(), c.value));
        }
        assert!(seen.contains(&("weir.api.admitted".to_string(), 1)), "{seen:?}");
        assert!(seen.contains(&("weir.api.limited".to_string(), 1)), "{seen:?}");
        let mut past = weir_counter { name: std::ptr::null(), name_len: 0, value: 0 };
        // SAFETY: a live snapshot, writable out.
        assert_eq!(unsafe { weir_counters_get(snapshot, seen.len(), &mut past) }, weir_status::InvalidArgument);
        // SAFETY: the callers' variables, freed once.
        unsafe {
            weir_counters_free(&mut snapshot);
            weir_policy_free(&mut policy);
        }
        assert!(snapshot.is_null());
    }

    fn empty() -> weir_request {
        weir_request {
            method: std::ptr::null(),
            method_len: 0,
            path: std::ptr::null(),
            path_len: 0,
            headers: std::ptr::null(),
            headers_len: 0,
            client_address: std::ptr::null(),
            client_address_len: 0,
            key: std::ptr::null(),
            key_len: 0,
        }
    }
}
