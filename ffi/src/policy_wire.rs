//! A request for `weir_policy_check_wire` in one byte buffer instead of a
//! `weir_request` of pointers. A runtime that must account for every pointer
//! it hands to C (Go's cgo checks each one, and pins what a struct points
//! to) passes one slice of plain bytes instead; or, with
//! `weir_policy_check_fields`, the four strings as arguments (plain bytes
//! too) and only the headers in a buffer, so a request without headers is
//! passed as its caller holds it, with nothing copied.
//!
//! The layout, every length a little-endian `u32` followed by its bytes:
//! method, path, client address, key, then the header count (a bare `u32`)
//! and each header's name and value. A client address or key of length
//! `0xFFFFFFFF` (with no bytes after it) is absent. Bytes after the last
//! header are refused, as is a buffer that ends inside a field.

use crate::handle::{bytes, entry};
use crate::policy::{decide, optional, weir_policy, weir_verdict};
use crate::status::{invalid_argument, weir_status};
use ::weir_policy::process::RequestView;

/// The length that marks an absent client address or key.
const ABSENT: u32 = u32::MAX;

type Header<'a> = (&'a [u8], &'a [u8]);

struct Wire<'a> {
    rest: &'a [u8],
}

impl<'a> Wire<'a> {
    #[inline(always)]
    fn length(&mut self) -> Result<u32, weir_status> {
        let (head, rest) = self.rest.split_first_chunk::<4>().ok_or_else(|| truncated("a length"))?;
        self.rest = rest;
        Ok(u32::from_le_bytes(*head))
    }

    #[inline(always)]
    fn take(&mut self, len: u32, what: &str) -> Result<&'a [u8], weir_status> {
        let len = usize::try_from(len).map_err(|_| truncated(what))?;
        if len > self.rest.len() {
            return Err(truncated(what));
        }
        let (field, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(field)
    }

    #[inline(always)]
    fn field(&mut self, what: &str) -> Result<&'a [u8], weir_status> {
        let len = self.length()?;
        self.take(len, what)
    }

    #[inline(always)]
    fn optional(&mut self, what: &str) -> Result<Option<&'a [u8]>, weir_status> {
        match self.length()? {
            ABSENT => Ok(None),
            len => self.take(len, what).map(Some),
        }
    }
}

#[cold]
fn truncated(what: &str) -> weir_status {
    invalid_argument(&format!("wire request ends inside {what}"))
}

/// The fields before the headers.
struct Head<'a> {
    method: &'a [u8],
    path: &'a [u8],
    client_address: Option<&'a [u8]>,
    key: Option<&'a [u8]>,
}

/// Decodes `wire` and checks it at `now`, as `weir_policy_check` does.
fn check_wire(policy: &weir_policy, wire: &[u8], now: u64, out: *mut *mut weir_verdict) -> weir_status {
    let mut reader = Wire { rest: wire };
    let head = (|| {
        Ok::<_, weir_status>(Head {
            method: reader.field("the method")?,
            path: reader.field("the path")?,
            client_address: reader.optional("the client address")?,
            key: reader.optional("the key")?,
        })
    })();
    match head {
        Ok(head) => check_headers(policy, reader, head, now, out),
        Err(status) => status,
    }
}

/// Decodes the header count and the headers `reader` holds, and checks.
fn check_headers(
    policy: &weir_policy,
    mut reader: Wire<'_>,
    head: Head<'_>,
    now: u64,
    out: *mut *mut weir_verdict,
) -> weir_status {
    let count = match reader.length() {
        Ok(count) => count as usize,
        Err(status) => return status,
    };
    // The headers are decoded into an array sized for them, so the common
    // request neither allocates nor clears room for headers it lacks.
    match count {
        0 => check_view(policy, reader, head, &[], now, out),
        1..=4 => check_few::<4>(policy, reader, head, count, now, out),
        5..=16 => check_few::<16>(policy, reader, head, count, now, out),
        _ => {
            let mut headers = Vec::with_capacity(count.min(reader.rest.len() / 8));
            for _ in 0..count {
                match header(&mut reader) {
                    Ok(pair) => headers.push(pair),
                    Err(status) => return status,
                }
            }
            check_view(policy, reader, head, &headers, now, out)
        }
    }
}

fn header<'a>(reader: &mut Wire<'a>) -> Result<Header<'a>, weir_status> {
    Ok((reader.field("a header name")?, reader.field("a header value")?))
}

fn check_few<const N: usize>(
    policy: &weir_policy,
    mut reader: Wire<'_>,
    head: Head<'_>,
    count: usize,
    now: u64,
    out: *mut *mut weir_verdict,
) -> weir_status {
    let mut headers: [Header<'_>; N] = [(&[], &[]); N];
    for slot in headers.iter_mut().take(count) {
        match header(&mut reader) {
            Ok(pair) => *slot = pair,
            Err(status) => return status,
        }
    }
    check_view(policy, reader, head, &headers[..count.min(N)], now, out)
}

fn check_view(
    policy: &weir_policy,
    reader: Wire<'_>,
    head: Head<'_>,
    headers: &[Header<'_>],
    now: u64,
    out: *mut *mut weir_verdict,
) -> weir_status {
    if !reader.rest.is_empty() {
        return invalid_argument(&format!("wire request has {} bytes after its last header", reader.rest.len()));
    }
    let Head { method, path, client_address, key } = head;
    let view = RequestView { method, path, headers, client_address, key };
    // SAFETY: the entry points checked `out` non-NULL.
    unsafe { decide(policy, &view, now, out) }
}

/// `weir_policy_check` with the request in the wire layout above: `*out`
/// is the verdict to read, report and free, or NULL for an admission that
/// carries nothing.
///
/// # Safety
/// `policy` NULL or live; `wire` readable for `wire_len` bytes; `out` NULL
/// or writable.
// twin weir_policy_check_wire_now: `weir_policy_check_wire` at the native clock.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_check_wire(
    policy: *const weir_policy,
    wire: *const u8,
    wire_len: usize,
    now: u64,
    out: *mut *mut weir_verdict,
) -> weir_status {
    entry!(policy; out => {
        // SAFETY: readable for `wire_len` bytes per the contract.
        let Some(wire) = (unsafe { bytes(wire, wire_len) }) else {
            return weir_status::NullArgument;
        };
        check_wire(policy, wire, now, out)
    })
}

/// `weir_policy_check_wire` at the native clock.
///
/// # Safety
/// As `weir_policy_check_wire`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_check_wire_now(
    policy: *const weir_policy,
    wire: *const u8,
    wire_len: usize,
    out: *mut *mut weir_verdict,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_policy>(); policy; out => {
        // SAFETY: readable for `wire_len` bytes per the contract.
        let Some(wire) = (unsafe { bytes(wire, wire_len) }) else {
            return weir_status::NullArgument;
        };
        check_wire(policy, wire, now, out)
    })
}

/// `weir_policy_check` with the request's fields as arguments and only its
/// headers in the wire layout (the header count, then each name and value;
/// `headers_len` 0: none): a caller passes the strings it holds as they
/// are, with nothing to copy for a request without headers. A NULL
/// `client_address` or `key` is absent. `*out` is as for
/// `weir_policy_check_wire`.
///
/// # Safety
/// `policy` NULL or live; each (pointer, length) pair readable when its
/// length is not 0; `out` NULL or writable.
// twin weir_policy_check_fields_now: `weir_policy_check_fields` at the native clock.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn weir_policy_check_fields(
    policy: *const weir_policy,
    method: *const u8,
    method_len: usize,
    path: *const u8,
    path_len: usize,
    client_address: *const u8,
    client_address_len: usize,
    key: *const u8,
    key_len: usize,
    headers: *const u8,
    headers_len: usize,
    now: u64,
    out: *mut *mut weir_verdict,
) -> weir_status {
    entry!(policy; out => {
        // SAFETY: every pair readable per the contract.
        let parts = unsafe {
            (
                bytes(method, method_len),
                bytes(path, path_len),
                optional(client_address, client_address_len),
                optional(key, key_len),
                bytes(headers, headers_len),
            )
        };
        let (Some(method), Some(path), Ok(client_address), Ok(key), Some(headers)) = parts else {
            return weir_status::NullArgument;
        };
        if headers.is_empty() {
            let view = RequestView { method, path, headers: &[], client_address, key };
            // SAFETY: `out` checked non-NULL.
            return unsafe { decide(policy, &view, now, out) };
        }
        check_headers(policy, Wire { rest: headers }, Head { method, path, client_address, key }, now, out)
    })
}

/// `weir_policy_check_fields` at the native clock.
///
/// # Safety
/// As `weir_policy_check_fields`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn weir_policy_check_fields_now(
    policy: *const weir_policy,
    method: *const u8,
    method_len: usize,
    path: *const u8,
    path_len: usize,
    client_address: *const u8,
    client_address_len: usize,
    key: *const u8,
    key_len: usize,
    headers: *const u8,
    headers_len: usize,
    out: *mut *mut weir_verdict,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_policy>(); policy; out => {
        // SAFETY: every pair readable per the contract.
        let parts = unsafe {
            (
                bytes(method, method_len),
                bytes(path, path_len),
                optional(client_address, client_address_len),
                optional(key, key_len),
                bytes(headers, headers_len),
            )
        };
        let (Some(method), Some(path), Ok(client_address), Ok(key), Some(headers)) = parts else {
            return weir_status::NullArgument;
        };
        if headers.is_empty() {
            let view = RequestView { method, path, headers: &[], client_address, key };
            // SAFETY: `out` checked non-NULL.
            return unsafe { decide(policy, &view, now, out) };
        }
        check_headers(policy, Wire { rest: headers }, Head { method, path, client_address, key }, now, out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{
        weir_policy_free, weir_policy_new, weir_verdict_free, weir_verdict_get_info, weir_verdict_info,
    };

    const BY_TENANT: &str = r#"{"rules": [{"name": "tenant",
        "limit": {"rate": 1, "per": "1h", "burst": 1, "key": "header:x-tenant"}}]}"#;

    fn wire(method: &str, path: &str, key: Option<&str>, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut w = Vec::new();
        let field = |w: &mut Vec<u8>, s: &str| {
            w.extend_from_slice(&(s.len() as u32).to_le_bytes());
            w.extend_from_slice(s.as_bytes());
        };
        field(&mut w, method);
        field(&mut w, path);
        w.extend_from_slice(&ABSENT.to_le_bytes());
        match key {
            Some(k) => field(&mut w, k),
            None => w.extend_from_slice(&ABSENT.to_le_bytes()),
        }
        w.extend_from_slice(&(headers.len() as u32).to_le_bytes());
        for (n, v) in headers {
            field(&mut w, n);
            field(&mut w, v);
        }
        w
    }

    struct Policy(*mut weir_policy);

    impl Policy {
        fn new(json: &str) -> Self {
            let mut p = std::ptr::null_mut();
            // SAFETY: the document is readable; `p` is writable.
            let s = unsafe { weir_policy_new(json.as_ptr(), json.len(), &mut p) };
            assert_eq!(s, weir_status::Ok);
            Self(p)
        }

        /// The status of the check and the verdict's status (200 for a bare admission).
        fn check(&self, wire: &[u8], now: u64) -> (weir_status, u32) {
            let mut out = std::ptr::null_mut();
            // SAFETY: live policy, readable wire, writable out.
            let s = unsafe { weir_policy_check_wire(self.0, wire.as_ptr(), wire.len(), now, &mut out) };
            if out.is_null() {
                return (s, 200);
            }
            let mut info = weir_verdict_info::default();
            // SAFETY: `out` is a live verdict; `info` writable.
            unsafe { weir_verdict_get_info(out, &mut info) };
            // SAFETY: `out` is the caller's variable holding a live verdict.
            unsafe { weir_verdict_free(&mut out) };
            (s, info.status)
        }
    }

    impl Drop for Policy {
        fn drop(&mut self) {
            // SAFETY: the handle is live and freed once.
            unsafe { weir_policy_free(&mut self.0) };
        }
    }

    /// The status of a check through `weir_policy_check_fields` and the
    /// verdict's status, with `headers` in the wire layout's tail.
    fn check_fields(policy: &Policy, key: Option<&str>, headers: &[u8], now: u64) -> (weir_status, u32) {
        let (key_ptr, key_len) = key.map_or((std::ptr::null(), 0), |k| (k.as_ptr(), k.len()));
        let mut out = std::ptr::null_mut();
        // SAFETY: live policy; every pair readable; writable out.
        let s = unsafe {
            weir_policy_check_fields(
                policy.0,
                b"GET".as_ptr(),
                3,
                b"/".as_ptr(),
                1,
                std::ptr::null(),
                0,
                key_ptr,
                key_len,
                headers.as_ptr(),
                headers.len(),
                now,
                &mut out,
            )
        };
        if out.is_null() {
            return (s, 200);
        }
        let mut info = weir_verdict_info::default();
        // SAFETY: `out` is a live verdict; `info` writable.
        unsafe { weir_verdict_get_info(out, &mut info) };
        // SAFETY: `out` is the caller's variable holding a live verdict.
        unsafe { weir_verdict_free(&mut out) };
        (s, info.status)
    }

    /// The header part of `wire`'s layout: what follows the key.
    fn header_tail(headers: &[(&str, &str)]) -> Vec<u8> {
        let whole = wire("", "", None, headers);
        whole[16..].to_vec()
    }

    #[test]
    fn fields_and_a_header_buffer_decide_as_the_whole_wire_does() {
        let policy = Policy::new(BY_TENANT);
        let tenant = header_tail(&[("x-other", "1"), ("X-Tenant", "a")]);
        assert_eq!(check_fields(&policy, None, &tenant, 1_000), (weir_status::Ok, 200));
        // The wire entry counts on the same cell: tenant a has spent its token.
        assert_eq!(policy.check(&wire("GET", "/", None, &[("x-tenant", "a")]), 2_000).1, 429);
        assert_eq!(check_fields(&policy, None, &tenant, 3_000).1, 429);
        assert_eq!(check_fields(&policy, Some("k"), &header_tail(&[("x-tenant", "b")]), 3_000).1, 200);
        // No header buffer at all is a request without headers, keyed
        // under no tenant: the limit skips it.
        for now in [4_000, 5_000] {
            assert_eq!(check_fields(&policy, None, &[], now), (weir_status::Ok, 200));
        }
    }

    #[test]
    fn a_truncated_header_buffer_is_refused_and_spends_nothing() {
        let policy = Policy::new(BY_TENANT);
        let whole = header_tail(&[("x-tenant", "a")]);
        for cut in [1, 3, 6, whole.len() - 1] {
            assert_eq!(
                check_fields(&policy, None, &whole[..cut], 1_000).0,
                weir_status::InvalidArgument,
                "cut at {cut}"
            );
        }
        let mut longer = whole.clone();
        longer.push(0);
        assert_eq!(check_fields(&policy, None, &longer, 1_000).0, weir_status::InvalidArgument);
        assert_eq!(check_fields(&policy, None, &whole, 1_000), (weir_status::Ok, 200));
    }

    fn filler(n: usize) -> Vec<(String, String)> {
        (0..n).map(|i| (format!("x-filler-{i}"), "v".to_string())).collect()
    }

    #[test]
    fn a_header_is_found_wherever_it_sits_among_any_number_of_headers() {
        // 3, 10 and 40 headers take the three decoding paths; the keyed
        // header sits last, so a decoder that dropped headers past its
        // inline room would key every request under "no tenant".
        for count in [3, 10, 40] {
            let policy = Policy::new(BY_TENANT);
            let mut headers = filler(count - 1);
            headers.push(("x-tenant".into(), format!("t{count}")));
            let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let first = wire("GET", "/", None, &pairs);
            assert_eq!(policy.check(&first, 1_000), (weir_status::Ok, 200), "{count} headers");
            assert_eq!(policy.check(&first, 2_000).1, 429, "{count} headers: same tenant refused");
            let last = pairs.len() - 1;
            let mut other = pairs.clone();
            other[last] = ("x-tenant", "someone-else");
            assert_eq!(policy.check(&wire("GET", "/", None, &other), 3_000).1, 200, "{count} headers: other tenant");
        }
    }

    #[test]
    fn a_truncated_or_overlong_buffer_is_refused_and_spends_nothing() {
        let policy = Policy::new(BY_TENANT);
        let whole = wire("GET", "/", Some("k"), &[("x-tenant", "a")]);
        for cut in [0, 3, 9, whole.len() - 1] {
            assert_eq!(policy.check(&whole[..cut], 1_000).0, weir_status::InvalidArgument, "cut at {cut}");
        }
        let mut longer = whole.clone();
        longer.push(0);
        assert_eq!(policy.check(&longer, 1_000).0, weir_status::InvalidArgument);
        // A header count far beyond the bytes given is refused, not trusted.
        let mut lying = wire("GET", "/", None, &[]);
        let at = lying.len() - 4;
        lying[at..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(policy.check(&lying, 1_000).0, weir_status::InvalidArgument);
        // None of the refused buffers spent tenant a's one token.
        assert_eq!(policy.check(&whole, 1_000), (weir_status::Ok, 200));
    }
}
