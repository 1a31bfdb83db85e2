//! `Policy`: weir-policy's process host over one JSON document, the same
//! the Envoy filter reads. A policy that reads nothing of a request (an
//! unkeyed limit, a shedder) is checked by an argument-free call over the
//! scratch buffer; one that reads names and paths gets them as napi
//! strings. An admitted request that carries nothing back answers `null`,
//! so the common verdict allocates nothing on the JS side.

use std::cell::RefCell;
use std::sync::Mutex;

use napi::bindgen_prelude::BigInt;
use napi_derive::napi;
use weir_policy::process::{Outcome, PolicyError, ProcessPolicy, Reads, RequestView, Ticket, Verdict};

use crate::fast;
use crate::fast::Callback;
use crate::layout::policy_check;
use crate::scratch::Scratch;
use crate::table::Table;

/// Every live policy, addressed by the scratch calls; the `NativePolicy`
/// JS holds is its one holder.
static POLICIES: Table<ProcessPolicy> = Table::new();

thread_local! {
    /// The last refused document's (message, rule, field), for `policyLastError`.
    static LAST: RefCell<Option<PolicyError>> = const { RefCell::new(None) };
    /// A verdict the scratch call made that carries more than an admission,
    /// for `policyTakeVerdict`.
    static MADE: RefCell<Option<Verdict>> = const { RefCell::new(None) };
}

/// Whether a verdict is a plain admission: nothing to add, nothing to report.
fn bare(v: &Verdict) -> bool {
    v.admitted()
        && v.ticket.is_none()
        && v.request_headers.is_empty()
        && v.response_headers.is_empty()
        && v.upstream.is_none()
        && v.deadline_ns.is_none()
}

// In: the policy's index as the handle. Decides a request of which the
// policy reads nothing, at the clock. Out: a code, 0 (a plain admission), 1 (a
// verdict waits in `policyTakeVerdict`) or 2 (the policy reads the
// request: nothing was decided, ask with `check`).
fast!(policy_check_bare, |s: Scratch| {
    let code = match POLICIES.get(s.handle()) {
        None => 2.0,
        Some(p) => match p.check_partial_at(&RequestView::default(), Reads::NONE.omitted(), weir_host::monotonic_now())
        {
            Err(_) => 2.0,
            Ok(v) if bare(&v) => 0.0,
            Ok(v) => {
                MADE.with(|m| *m.borrow_mut() = Some(v));
                1.0
            }
        },
    };
    s.set_f(policy_check::CODE, code);
});

pub const FNS: &[(&str, Callback)] = &[("policyCheckBare", policy_check_bare)];

/// The verdict the last `policyCheckBare` on this thread left.
#[napi(js_name = "policyTakeVerdict")]
pub fn policy_take_verdict() -> Option<NativeVerdict> {
    MADE.with(|m| m.borrow_mut().take()).map(NativeVerdict::from)
}

impl From<Verdict> for NativeVerdict {
    fn from(mut v: Verdict) -> Self {
        let ticket = Mutex::new(v.ticket.take());
        NativeVerdict { v, ticket }
    }
}

fn refused(e: PolicyError) -> napi::Error {
    let message = e.to_string();
    LAST.with(|l| *l.borrow_mut() = Some(e));
    napi::Error::from_reason(message)
}

/// The last refusal's `[message, rule, field]`, taken once.
#[napi(js_name = "policyLastError")]
pub fn policy_last_error() -> Option<Vec<String>> {
    LAST.with(|l| l.borrow_mut().take()).map(|e| vec![e.to_string(), e.rule, e.field])
}

fn nanos(v: Option<BigInt>) -> Option<u64> {
    v.map(|b| b.get_u64().1)
}

/// Decides a request on the policy at `index` (a plain function: napi
/// class methods cost several times more per call). `headers` is flat:
/// name, value, name, value... `null`: admitted, nothing to add or report.
#[napi(js_name = "policyCheck")]
pub fn policy_check(
    index: f64,
    method: String,
    path: String,
    headers: Option<Vec<String>>,
    client_address: Option<String>,
    key: Option<String>,
    now: Option<BigInt>,
) -> napi::Result<Option<NativeVerdict>> {
    let inner = POLICIES.get(index as usize).ok_or_else(|| napi::Error::from_reason("weir: policy closed"))?;
    let flat = headers.unwrap_or_default();
    let pairs: Vec<(&[u8], &[u8])> = flat.chunks_exact(2).map(|p| (p[0].as_bytes(), p[1].as_bytes())).collect();
    let view = RequestView {
        method: method.as_bytes(),
        path: path.as_bytes(),
        headers: &pairs,
        client_address: client_address.as_deref().map(str::as_bytes),
        key: key.as_deref().map(str::as_bytes),
    };
    let v = match nanos(now) {
        Some(now) => inner.check_at(&view, now),
        None => inner.check(&view),
    };
    Ok((!bare(&v)).then(|| NativeVerdict::from(v)))
}

#[napi]
pub struct NativePolicy {
    index: usize,
}

impl Drop for NativePolicy {
    fn drop(&mut self) {
        POLICIES.release(self.index);
    }
}

/// Loads `json`; `now` and `seed` fix the clock origin and the random
/// draws (for replaying a recorded trace).
#[napi(js_name = "policyNew")]
pub fn policy_new(json: String, now: Option<BigInt>, seed: Option<BigInt>) -> napi::Result<NativePolicy> {
    let inner = match (nanos(now), nanos(seed)) {
        (None, None) => ProcessPolicy::from_json(&json),
        (now, seed) => {
            let now = now.unwrap_or_else(weir_host::monotonic_now);
            ProcessPolicy::from_json_at(&json, now, seed.unwrap_or(now))
        }
    };
    let placed = POLICIES
        .insert(inner.map_err(refused)?)
        .ok_or_else(|| napi::Error::from_reason("weir: too many policies alive at once"))?;
    Ok(NativePolicy { index: placed.index })
}

impl NativePolicy {
    fn inner(&self) -> napi::Result<&ProcessPolicy> {
        POLICIES.get(self.index).ok_or_else(|| napi::Error::from_reason("weir: policy closed"))
    }
}

#[napi]
impl NativePolicy {
    /// The index `policyCheckBare` takes as its handle.
    #[napi]
    pub fn index(&self) -> f64 {
        self.index as f64
    }

    #[napi]
    pub fn replace(&self, json: String, now: Option<BigInt>) -> napi::Result<()> {
        let inner = self.inner()?;
        match nanos(now) {
            Some(now) => inner.replace_at(&json, now),
            None => inner.replace(&json),
        }
        .map_err(refused)
    }

    /// Flat: name, total, name, total...
    #[napi]
    pub fn counters(&self) -> napi::Result<Vec<String>> {
        Ok(self.inner()?.counters().into_iter().flat_map(|(name, n)| [name, n.to_string()]).collect())
    }

    #[napi]
    pub fn rules(&self) -> napi::Result<Vec<String>> {
        Ok(self.inner()?.rules())
    }
}

#[napi]
pub struct NativeVerdict {
    v: Verdict,
    ticket: Mutex<Option<Ticket>>,
}

fn flat(headers: &[(String, String)]) -> Vec<String> {
    headers.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect()
}

#[napi]
impl NativeVerdict {
    /// `[status, reason, rule, body]` of a refusal, or `null`.
    #[napi]
    pub fn refusal(&self) -> Option<Vec<String>> {
        let a = self.v.refusal.as_ref()?;
        Some(vec![a.status.to_string(), a.reason.to_string(), a.rule.clone(), a.body.clone()])
    }

    /// The answer's headers, or an admitted response's; flat.
    #[napi]
    pub fn headers(&self) -> Vec<String> {
        match &self.v.refusal {
            Some(a) => a.headers.iter().flat_map(|(k, v)| [k.to_string(), v.clone()]).collect(),
            None => flat(&self.v.response_headers),
        }
    }

    #[napi]
    pub fn request_headers(&self) -> Vec<String> {
        flat(&self.v.request_headers)
    }

    #[napi]
    pub fn upstream(&self) -> Option<String> {
        self.v.upstream.clone()
    }

    /// Nanoseconds the upstream gets, as a double.
    #[napi]
    pub fn deadline_ns(&self) -> Option<f64> {
        self.v.deadline_ns.map(|d| d as f64)
    }

    #[napi]
    pub fn pending(&self) -> bool {
        self.ticket.lock().map(|t| t.is_some()).unwrap_or(false)
    }

    /// Reports the outcome once; later calls do nothing. `no_retry`: the
    /// answer carried `x-weir-no-retry: 1` (a breaker does not count it).
    #[napi]
    pub fn report(
        &self,
        status: Option<u32>,
        grpc_status: Option<u32>,
        latency_ns: Option<f64>,
        cpu: Option<u32>,
        now: Option<BigInt>,
        no_retry: Option<bool>,
    ) {
        let ticket = self.ticket.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(ticket) = ticket {
            let latency_ns = latency_ns.filter(|l| l.is_finite() && *l >= 0.0).map(|l| l.round() as u64);
            let outcome = Outcome { status, grpc_status, latency_ns, cpu: cpu.map(u64::from) };
            let now = nanos(now);
            let no_retry = no_retry.unwrap_or(false);
            ticket.report_answer_at(&outcome, no_retry, || now.unwrap_or_else(weir_host::monotonic_now));
        }
    }
}
