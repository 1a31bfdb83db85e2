//! `weir_policy`: the policy engine (weir-policy's process host) over one
//! JSON document, the same the Envoy filter reads. A check returns a
//! `weir_verdict` (or none, for an admission with nothing to carry); its
//! strings are borrowed from it until `weir_verdict_free`. A refused
//! document's error names the policy rule (`weir_last_error_rule`, e.g.
//! `rule #2 "api"`) and the field (`weir_last_error_field`, `limit.rate`).

use crate::handle::{bytes, entry, free, live, need, out, publish};
use crate::status::{guard, invalid_argument, set_last_error, weir_status};
use ::weir_policy::process::{Outcome, PolicyError, ProcessPolicy, RequestView, Ticket, Verdict};
use std::ffi::{c_char, CStr};
use std::sync::Mutex;

/// A policy serving this process. Thread-safe; only `_free` must not race.
pub struct weir_policy {
    pub(crate) inner: ProcessPolicy,
}

impl weir_host::Clocked for weir_policy {}

/// One request's verdict; owns the strings its accessors lend.
pub struct weir_verdict {
    v: Verdict,
    ticket: Mutex<Option<Ticket>>,
}

/// A header: bytes, not NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_header {
    pub name: *const u8,
    pub name_len: usize,
    pub value: *const u8,
    pub value_len: usize,
}

/// A request as the policy reads it. Strings are bytes with lengths; a
/// NULL `client_address` or `key` means none.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_request {
    pub method: *const u8,
    pub method_len: usize,
    /// The path as sent, query included.
    pub path: *const u8,
    pub path_len: usize,
    pub headers: *const weir_header,
    pub headers_len: usize,
    /// `ip`, `ip:port` or `[v6]:port`.
    pub client_address: *const u8,
    pub client_address_len: usize,
    /// The value `"key": "caller"` counts under (a user id, an API key).
    pub key: *const u8,
    pub key_len: usize,
}

/// A verdict's numbers.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_verdict_info {
    pub admitted: bool,
    /// 200 when admitted, else the status of the answer to send.
    pub status: u32,
    /// Headers of the answer (refused) or for the response (admitted).
    pub headers: usize,
    /// Headers the engine set on the request sent on.
    pub request_headers: usize,
    pub has_deadline: bool,
    /// The time the upstream gets, from a `deadline` rule.
    pub deadline_ns: u64,
    /// A learner waits for `weir_verdict_report`.
    pub pending: bool,
}

/// How a checked request ended.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_outcome {
    /// The HTTP status; 0: no answer came (a reset, a timeout).
    pub status: u32,
    pub has_grpc_status: bool,
    pub grpc_status: u32,
    /// Without it, the report's `now` ends the request.
    pub has_latency: bool,
    pub latency_ns: u64,
    pub has_cpu: bool,
    /// The upstream's CPU header, permille.
    pub cpu: u64,
}

fn refused(e: PolicyError) -> weir_status {
    set_last_error(&e.to_string(), &e.field, &e.rule);
    weir_status::InvalidConfig
}

/// # Safety
/// `(ptr, len)` readable when `len > 0`.
unsafe fn document<'a>(ptr: *const u8, len: usize) -> Result<&'a str, weir_status> {
    // SAFETY: forwarded from the caller.
    let raw = unsafe { bytes(ptr, len) }.ok_or(weir_status::NullArgument)?;
    std::str::from_utf8(raw).map_err(|_| invalid_argument("json must be UTF-8"))
}

/// Loads the policy in `(json, json_len)` at the native clock.
///
/// # Safety
/// `json` readable for `json_len` bytes; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_new(json: *const u8, json_len: usize, out: *mut *mut weir_policy) -> weir_status {
    entry!(; out => {
        // SAFETY: forwarded from the caller.
        let doc = match unsafe { document(json, json_len) } {
            Ok(d) => d,
            Err(s) => return s,
        };
        match ProcessPolicy::from_json(doc) {
            // SAFETY: `out` checked non-NULL.
            Ok(inner) => unsafe { publish(out, weir_policy { inner }) },
            Err(e) => refused(e),
        }
    })
}

/// As `weir_policy_new`, with the clock origin `now` and the learners'
/// random draws from `seed`: a replayed trace decides the same every time.
///
/// # Safety
/// As `weir_policy_new`.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_new_at(
    json: *const u8,
    json_len: usize,
    now: u64,
    seed: u64,
    out: *mut *mut weir_policy,
) -> weir_status {
    entry!(; out => {
        // SAFETY: forwarded from the caller.
        let doc = match unsafe { document(json, json_len) } {
            Ok(d) => d,
            Err(s) => return s,
        };
        match ProcessPolicy::from_json_at(doc, now, seed) {
            // SAFETY: `out` checked non-NULL.
            Ok(inner) => unsafe { publish(out, weir_policy { inner }) },
            Err(e) => refused(e),
        }
    })
}

/// Loads the policy file at `path` (NUL-terminated).
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_load(path: *const c_char, out: *mut *mut weir_policy) -> weir_status {
    entry!(; path, out => {
        // SAFETY: non-NULL and NUL-terminated per the contract.
        let path = unsafe { CStr::from_ptr(path) }.to_string_lossy().into_owned();
        let doc = match std::fs::read_to_string(&path) {
            Ok(d) => d,
            Err(e) => return invalid_argument(&format!("cannot read policy {path}: {e}")),
        };
        match ProcessPolicy::from_json(&doc) {
            // SAFETY: `out` checked non-NULL.
            Ok(inner) => unsafe { publish(out, weir_policy { inner }) },
            Err(e) => refused(e),
        }
    })
}

/// Frees the policy and NULLs `*policy`. Verdicts still out keep what they need.
///
/// # Safety
/// `policy` is NULL or points to NULL or a live policy no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_free(policy: *mut *mut weir_policy) {
    // SAFETY: forwarded from the caller.
    unsafe { free(policy) }
}

/// # Safety
/// `(ptr, len)` readable when `len > 0` and `ptr` non-NULL.
pub(crate) unsafe fn optional<'a>(ptr: *const u8, len: usize) -> Result<Option<&'a [u8]>, weir_status> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { bytes(ptr, len) }.map(Some).ok_or(weir_status::NullArgument)
}

/// Decides `request` at `now`. `*out` is the verdict to read, report and
/// free, or NULL for an admission that carries nothing (status 200, no
/// headers, nothing to report).
///
/// # Safety
/// `policy` NULL or live; `request` NULL or readable with every (pointer,
/// length) pair readable; `out` NULL or writable.
// twin weir_policy_check_now: `weir_policy_check` at the native clock.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_check(
    policy: *const weir_policy,
    request: *const weir_request,
    now: u64,
    out: *mut *mut weir_verdict,
) -> weir_status {
    guard(|| {
        let policy = live!(policy);
        let r = live!(request);
        need!(out);
        // SAFETY: the request's pairs are readable per the contract.
        let parts = unsafe {
            (
                bytes(r.method, r.method_len),
                bytes(r.path, r.path_len),
                optional(r.client_address, r.client_address_len),
                optional(r.key, r.key_len),
            )
        };
        let (Some(method), Some(path), Ok(client_address), Ok(key)) = parts else {
            return weir_status::NullArgument;
        };
        let mut pairs: Vec<(&[u8], &[u8])> = Vec::with_capacity(r.headers_len);
        if r.headers_len > 0 {
            need!(r.headers);
            // SAFETY: `headers` non-NULL, `headers_len` entries readable.
            let headers = unsafe { std::slice::from_raw_parts(r.headers, r.headers_len) };
            for h in headers {
                // SAFETY: each header's pairs readable per the contract.
                let (Some(n), Some(v)) = (unsafe { bytes(h.name, h.name_len) }, unsafe { bytes(h.value, h.value_len) })
                else {
                    return weir_status::NullArgument;
                };
                pairs.push((n, v));
            }
        }
        let view = RequestView { method, path, headers: &pairs, client_address, key };
        // SAFETY: `out` checked non-NULL.
        unsafe { decide(policy, &view, now, out) }
    })
}

/// `weir_policy_check` at the native clock.
///
/// # Safety
/// As `weir_policy_check`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_check_now(
    policy: *const weir_policy,
    request: *const weir_request,
    out: *mut *mut weir_verdict,
) -> weir_status {
    crate::status::guard(|| {
        let now = crate::handle::now_of::<weir_policy>();
        guard(|| {
            let policy = live!(policy);
            let r = live!(request);
            need!(out);
            // SAFETY: the request's pairs are readable per the contract.
            let parts = unsafe {
                (
                    bytes(r.method, r.method_len),
                    bytes(r.path, r.path_len),
                    optional(r.client_address, r.client_address_len),
                    optional(r.key, r.key_len),
                )
            };
            let (Some(method), Some(path), Ok(client_address), Ok(key)) = parts else {
                return weir_status::NullArgument;
            };
            let mut pairs: Vec<(&[u8], &[u8])> = Vec::with_capacity(r.headers_len);
            if r.headers_len > 0 {
                need!(r.headers);
                // SAFETY: `headers` non-NULL, `headers_len` entries readable.
                let headers = unsafe { std::slice::from_raw_parts(r.headers, r.headers_len) };
                for h in headers {
                    // SAFETY: each header's pairs readable per the contract.
                    let (Some(n), Some(v)) =
                        (unsafe { bytes(h.name, h.name_len) }, unsafe { bytes(h.value, h.value_len) })
                    else {
                        return weir_status::NullArgument;
                    };
                    pairs.push((n, v));
                }
            }
            let view = RequestView { method, path, headers: &pairs, client_address, key };
            // SAFETY: `out` checked non-NULL.
            unsafe { decide(policy, &view, now, out) }
        })
    })
}

/// Checks `view` at `now` and writes the verdict to `out`: NULL for an
/// admission that carries nothing. An empty method reads as `GET`, an
/// empty path as `/`.
///
/// # Safety
/// `out` non-NULL and writable.
pub(crate) unsafe fn decide(
    policy: &weir_policy,
    view: &RequestView<'_>,
    now: u64,
    out: *mut *mut weir_verdict,
) -> weir_status {
    // Read in place: a request with its method and path is not copied.
    let defaulted;
    let view = if view.method.is_empty() || view.path.is_empty() {
        defaulted = RequestView {
            method: if view.method.is_empty() { b"GET" } else { view.method },
            path: if view.path.is_empty() { b"/" } else { view.path },
            ..*view
        };
        &defaulted
    } else {
        view
    };
    let mut v = Verdict::default();
    policy.inner.check_into(view, now, &mut v);
    let bare = v.admitted()
        && v.ticket.is_none()
        && v.request_headers.is_empty()
        && v.response_headers.is_empty()
        && v.upstream.is_none()
        && v.deadline_ns.is_none();
    if bare {
        // SAFETY: `out` non-NULL and writable per the contract.
        unsafe { *out = std::ptr::null_mut() };
        return weir_status::Ok;
    }
    let ticket = Mutex::new(v.ticket.take());
    // SAFETY: `out` non-NULL and writable per the contract.
    unsafe { publish(out, weir_verdict { v, ticket }) }
}

/// Swaps in a new document at `now`: limits whose rule, rate, burst and
/// table size are unchanged keep their state. On `WEIR_STATUS_INVALID_CONFIG`
/// the old policy keeps serving and the last error says why.
///
/// # Safety
/// `policy` NULL or live; `json` readable for `json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_replace(
    policy: *const weir_policy,
    json: *const u8,
    json_len: usize,
    now: u64,
) -> weir_status {
    entry!(policy => {
        // SAFETY: forwarded from the caller.
        let doc = match unsafe { document(json, json_len) } {
            Ok(d) => d,
            Err(s) => return s,
        };
        match policy.inner.replace_at(doc, now) {
            Ok(()) => weir_status::Ok,
            Err(e) => refused(e),
        }
    })
}

/// The total of the counter named `(name, name_len)` (`weir.<rule>.<outcome>`,
/// the Envoy filter's names); 0 for a name the policy does not count.
///
/// # Safety
/// `policy` NULL or live; `name` readable; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_policy_counter(
    policy: *const weir_policy,
    name: *const u8,
    name_len: usize,
    out: *mut u64,
) -> weir_status {
    entry!(policy => out = {
        // SAFETY: forwarded from the caller.
        let Some(name) = (unsafe { bytes(name, name_len) }) else { return weir_status::NullArgument };
        let total = policy.inner.counters().into_iter().find(|(n, _)| n.as_bytes() == name).map_or(0, |(_, t)| t);
        total
    })
}

/// The verdict's numbers. A NULL verdict (a bare admission) reads as admitted, 200.
///
/// # Safety
/// `verdict` NULL or live; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_verdict_get_info(
    verdict: *const weir_verdict,
    out: *mut weir_verdict_info,
) -> weir_status {
    entry!(=> out = {
        // SAFETY: NULL or live per the contract.
        let Some(vd) = (unsafe { crate::handle::get(verdict) }) else {
            out!(out, weir_verdict_info { admitted: true, status: 200, ..Default::default() });
            return weir_status::Ok;
        };
        let v = &vd.v;
        weir_verdict_info {
            admitted: v.admitted(),
            status: v.refusal.as_ref().map_or(200, |a| a.status),
            headers: v.refusal.as_ref().map_or(v.response_headers.len(), |a| a.headers.len()),
            request_headers: v.request_headers.len(),
            has_deadline: v.deadline_ns.is_some(),
            deadline_ns: v.deadline_ns.unwrap_or(0),
            pending: vd.ticket.lock().map(|t| t.is_some()).unwrap_or(false),
        }
    })
}

/// Which text of a verdict to read.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_verdict_text {
    /// `admitted`, or why not: `rate_limited`, `table_full`, `queue_full`...
    Reason = 0,
    /// The rule that refused; empty when admitted.
    Rule = 1,
    /// The answer's body; empty when admitted.
    Body = 2,
    /// The cluster a `pick` chose; empty if none.
    Upstream = 3,
}

/// Lends one of the verdict's texts (not NUL-terminated) until it is freed.
/// A NULL verdict reads as a bare admission.
///
/// # Safety
/// `verdict` NULL or live; `ptr` and `len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_verdict_get_text(
    verdict: *const weir_verdict,
    which: weir_verdict_text,
    ptr: *mut *const u8,
    len: *mut usize,
) -> weir_status {
    entry!(; ptr => len = {
        // SAFETY: NULL or live per the contract.
        let v = unsafe { crate::handle::get(verdict) }.map(|vd| &vd.v);
        let refusal = v.and_then(|v| v.refusal.as_ref());
        let text: &str = match which {
            weir_verdict_text::Reason => refusal.map_or("admitted", |a| a.reason),
            weir_verdict_text::Rule => refusal.map_or("", |a| a.rule.as_str()),
            weir_verdict_text::Body => refusal.map_or("", |a| a.body.as_str()),
            weir_verdict_text::Upstream => v.and_then(|v| v.upstream.as_deref()).unwrap_or(""),
        };
        out!(ptr, text.as_ptr());
        text.len()
    })
}

/// Lends header `index` (below `weir_verdict_info.headers`, or
/// `.request_headers` when `request` is true) until the verdict is freed.
///
/// # Safety
/// `verdict` NULL or live; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_verdict_get_header(
    verdict: *const weir_verdict,
    request: bool,
    index: usize,
    out: *mut weir_header,
) -> weir_status {
    entry!(verdict; out => {
        let v = &verdict.v;
        let pair: Option<(&str, &str)> = match (request, &v.refusal) {
            (true, _) => v.request_headers.get(index).map(|(k, v)| (k.as_str(), v.as_str())),
            (false, Some(a)) => a.headers.get(index).map(|(k, v)| (*k, v.as_str())),
            (false, None) => v.response_headers.get(index).map(|(k, v)| (k.as_str(), v.as_str())),
        };
        let Some((name, value)) = pair else { return invalid_argument("header index out of range") };
        out!(
            out,
            weir_header { name: name.as_ptr(), name_len: name.len(), value: value.as_ptr(), value_len: value.len() }
        );
    })
}

/// Reports how the request ended, at `now` unless the outcome has a
/// latency. Once; later reports and a NULL verdict do nothing.
///
/// # Safety
/// `verdict` NULL or live; `outcome` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn weir_verdict_report(
    verdict: *const weir_verdict,
    outcome: *const weir_outcome,
    now: u64,
) -> weir_status {
    guard(|| {
        let o = live!(outcome);
        // SAFETY: NULL or live per the contract.
        let Some(vd) = (unsafe { crate::handle::get(verdict) }) else { return weir_status::Ok };
        let ticket = vd.ticket.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(ticket) = ticket {
            let outcome = Outcome {
                status: (o.status != 0).then_some(o.status),
                grpc_status: o.has_grpc_status.then_some(o.grpc_status),
                latency_ns: o.has_latency.then_some(o.latency_ns),
                cpu: o.has_cpu.then_some(o.cpu),
            };
            ticket.report_at(&outcome, || now);
        }
        weir_status::Ok
    })
}

/// As `weir_verdict_report`, for an answer that may have carried
/// `x-weir-no-retry: 1` (`no_retry`): an overload a weir further down
/// decided on purpose, which the policy's breaker does not count against
/// this upstream (its throttle and picker still count it as a refusal).
///
/// # Safety
/// `verdict` NULL or live; `outcome` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn weir_verdict_report_answer(
    verdict: *const weir_verdict,
    outcome: *const weir_outcome,
    no_retry: bool,
    now: u64,
) -> weir_status {
    guard(|| {
        let o = live!(outcome);
        // SAFETY: NULL or live per the contract.
        let Some(vd) = (unsafe { crate::handle::get(verdict) }) else { return weir_status::Ok };
        let ticket = vd.ticket.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(ticket) = ticket {
            let outcome = Outcome {
                status: (o.status != 0).then_some(o.status),
                grpc_status: o.has_grpc_status.then_some(o.grpc_status),
                latency_ns: o.has_latency.then_some(o.latency_ns),
                cpu: o.has_cpu.then_some(o.cpu),
            };
            ticket.report_answer_at(&outcome, no_retry, || now);
        }
        weir_status::Ok
    })
}

/// Frees the verdict and NULLs `*verdict`. One never reported is taken
/// back by every learner that let it through, as if weir had answered it.
///
/// # Safety
/// `verdict` is NULL or points to NULL or a live verdict no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_verdict_free(verdict: *mut *mut weir_verdict) {
    // SAFETY: forwarded from the caller.
    unsafe { free(verdict) }
}
