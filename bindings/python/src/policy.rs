//! `weir.Policy`: the policy engine (weir-policy's process host) over one
//! JSON document, the same the Envoy filter reads. This file only marshals:
//! a request's parts in, a verdict out, an outcome back.

use pyo3::exceptions::{PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyMapping, PyString, PyType};
use std::borrow::Cow;
use std::sync::Mutex;
use weir_policy::process::{Outcome, PolicyError, ProcessPolicy, Reads, RequestView, Ticket, Verdict as Decided};

use crate::args::duration;
use crate::decision::seconds;

static POLICY_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ADMITTED: PyOnceLock<Py<Verdict>> = PyOnceLock::new();

/// `weir.PolicyError` (a `weir.ConfigError`) naming the rule and the field.
fn policy_error(py: Python<'_>, e: PolicyError) -> PyErr {
    match POLICY_ERROR.import(py, "weir._policy", "PolicyError") {
        Ok(class) => match class.call1((e.to_string(), e.field, e.rule, e.message)) {
            Ok(err) => PyErr::from_value(err),
            Err(err) => err,
        },
        Err(err) => err,
    }
}

/// Text or bytes as bytes, borrowed where Python allows it.
fn bytes<'a>(what: &str, v: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(match s.to_cow()? {
            Cow::Borrowed(s) => Cow::Owned(s.as_bytes().to_vec()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        });
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    let ty = v.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    Err(PyTypeError::new_err(format!("Policy.check: {what} must be str or bytes, got {ty}")))
}

/// Headers as a mapping or pairs, names and values as str or bytes.
fn header_pairs(headers: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let Some(h) = headers.filter(|h| !h.is_none()) else { return Ok(Vec::new()) };
    let items = match h.cast::<PyMapping>() {
        Ok(m) => m.items()?.into_any(),
        Err(_) => h.clone(),
    };
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item
            .extract()
            .map_err(|_| PyTypeError::new_err("Policy.check: headers must be a mapping or (name, value) pairs"))?;
        out.push((bytes("a header name", &name)?.into_owned(), bytes("a header value", &value)?.into_owned()));
    }
    Ok(out)
}

/// A check's arguments as Python gave them.
struct Args<'a, 'py> {
    method: Option<&'a Bound<'py, PyAny>>,
    path: Option<&'a Bound<'py, PyAny>>,
    headers: Option<&'a Bound<'py, PyAny>>,
    client_address: Option<&'a Bound<'py, PyAny>>,
    key: Option<&'a Bound<'py, PyAny>>,
}

fn given<'a, 'py>(v: Option<&'a Bound<'py, PyAny>>, read: bool) -> Option<&'a Bound<'py, PyAny>> {
    v.filter(|v| read && !v.is_none())
}

impl Args<'_, '_> {
    /// Converts what `reads` names and decides; `None`: the policy in place
    /// reads more than was converted.
    fn decide(&self, policy: &ProcessPolicy, reads: Reads, now: u64) -> PyResult<Option<Decided>> {
        let method = given(self.method, reads.method).map(|m| bytes("method", m)).transpose()?;
        let path = given(self.path, reads.path).map(|p| bytes("path", p)).transpose()?;
        let address =
            given(self.client_address, reads.client_address).map(|a| bytes("client_address", a)).transpose()?;
        let key = match self.key.filter(|k| !k.is_none()) {
            // A bad key is refused whether or not this policy reads it.
            Some(k) => Some(bytes("key", k)?).filter(|_| reads.key),
            None => None,
        };
        let owned = if reads.headers { header_pairs(self.headers)? } else { Vec::new() };
        let pairs: Vec<(&[u8], &[u8])> = owned.iter().map(|(n, v)| (n.as_slice(), v.as_slice())).collect();
        let view = RequestView {
            method: method.as_deref().unwrap_or(b"GET"),
            path: path.as_deref().unwrap_or(b"/"),
            headers: &pairs,
            client_address: address.as_deref(),
            key: key.as_deref(),
        };
        Ok(policy.check_partial_at(&view, reads.omitted(), now).ok())
    }
}

/// One policy document serving this process; thread-safe. Load it with
/// `Policy(json)` (a str, bytes or dict) or `Policy.from_file(path)`.
#[pyclass(frozen, module = "weir._weir", name = "Policy")]
pub struct Policy {
    inner: ProcessPolicy,
}

fn document(py: Python<'_>, json: &Bound<'_, PyAny>) -> PyResult<String> {
    if json.is_instance_of::<PyDict>() || json.is_instance_of::<PyList>() {
        let dumps = py.import("json")?.getattr("dumps")?;
        return dumps.call1((json,))?.extract();
    }
    let b = bytes("json", json).map_err(|_| PyTypeError::new_err("Policy: json must be a str, bytes or dict"))?;
    Ok(String::from_utf8_lossy(&b).into_owned())
}

#[pymethods]
impl Policy {
    /// `now` and `seed` fix the clock origin and the random draws, for
    /// replaying a recorded trace; leave them out in a service.
    #[new]
    #[pyo3(signature = (json, *, now = None, seed = None))]
    fn new(py: Python<'_>, json: &Bound<'_, PyAny>, now: Option<u64>, seed: Option<u64>) -> PyResult<Self> {
        let doc = document(py, json)?;
        let inner = match (now, seed) {
            (None, None) => ProcessPolicy::from_json(&doc),
            (now, seed) => {
                let now = now.unwrap_or_else(weir_host::monotonic_now);
                ProcessPolicy::from_json_at(&doc, now, seed.unwrap_or(now))
            }
        };
        Ok(Self { inner: inner.map_err(|e| policy_error(py, e))? })
    }

    /// Loads the policy file at `path`.
    #[classmethod]
    fn from_file(_cls: &Bound<'_, PyType>, py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let doc = std::fs::read_to_string(&path)
            .map_err(|e| PyOSError::new_err(format!("Policy.from_file: cannot read {}: {e}", path.display())))?;
        let inner = ProcessPolicy::from_json(&doc).map_err(|e| policy_error(py, e))?;
        Ok(Self { inner })
    }

    /// Decides one request. `headers` is a mapping or (name, value) pairs;
    /// `key` is the value rules with `"key": "caller"` count under.
    #[pyo3(signature = (method = None, path = None, headers = None, client_address = None, key = None, now = None))]
    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        py: Python<'_>,
        method: Option<&Bound<'_, PyAny>>,
        path: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        client_address: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
        now: Option<u64>,
    ) -> PyResult<Py<Verdict>> {
        let now = now.unwrap_or_else(weir_host::monotonic_now);
        let args = Args { method, path, headers, client_address, key };
        // Only the parts the policy reads are converted; a reload in between
        // is caught and the check asked again with everything.
        let reads = self.inner.reads();
        let decided = match args.decide(&self.inner, reads, now)? {
            Some(v) => v,
            None => match args.decide(&self.inner, Reads::NONE.omitted(), now)? {
                Some(v) => v,
                None => return Err(PyTypeError::new_err("Policy.check: the policy changed twice during one check")),
            },
        };
        let bare = decided.admitted()
            && decided.ticket.is_none()
            && decided.request_headers.is_empty()
            && decided.response_headers.is_empty()
            && decided.upstream.is_none()
            && decided.deadline_ns.is_none();
        if bare {
            // Every plain admission is the same verdict: share one object.
            return Ok(ADMITTED.get_or_try_init(py, || Py::new(py, Verdict::from(Decided::default())))?.clone_ref(py));
        }
        Py::new(py, Verdict::from(decided))
    }

    /// Reports how a checked request ended: `status` (None: no answer came,
    /// a reset or a timeout), `grpc_status`, `latency` (seconds or
    /// `weir.Nanos`; default: the time since the check) and `cpu` (the
    /// upstream's CPU header, permille); `no_retry`: the answer carried
    /// `x-weir-no-retry: 1`, an overload decided further down, which a
    /// breaker does not count. Same as `verdict.report(...)`.
    #[pyo3(signature = (verdict, status, *, grpc_status = None, latency = None, cpu = None, now = None, no_retry = false))]
    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        py: Python<'_>,
        verdict: &Verdict,
        status: Option<u32>,
        grpc_status: Option<u32>,
        latency: Option<&Bound<'_, PyAny>>,
        cpu: Option<u64>,
        now: Option<u64>,
        no_retry: bool,
    ) -> PyResult<()> {
        verdict.report(py, status, grpc_status, latency, cpu, now, no_retry)
    }

    /// Swaps in a new document atomically. Limits whose rule, rate, burst
    /// and table size are unchanged keep their state; a document that
    /// fails validation raises `weir.PolicyError` and the old one keeps serving.
    #[pyo3(signature = (json, *, now = None))]
    fn replace(&self, py: Python<'_>, json: &Bound<'_, PyAny>, now: Option<u64>) -> PyResult<()> {
        let doc = document(py, json)?;
        let result = match now {
            Some(now) => self.inner.replace_at(&doc, now),
            None => self.inner.replace(&doc),
        };
        result.map_err(|e| policy_error(py, e))
    }

    /// Every counter (`weir.<rule>.<outcome>`, the Envoy filter's names) and its total.
    fn counters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, n) in self.inner.counters() {
            d.set_item(name, n)?;
        }
        Ok(d)
    }

    /// The rule names, in order.
    #[getter]
    fn rules(&self) -> Vec<String> {
        self.inner.rules()
    }
}

/// What `Policy.check` decided. Admitted: `admitted` is true, `status` 200,
/// `headers` go on the response, `request_headers` on the request sent on.
/// Refused: `status`, `headers` and `body` are the answer to send, `reason`
/// and `rule` say why.
#[pyclass(frozen, module = "weir._weir", name = "Verdict")]
pub struct Verdict {
    decided: Decided,
    ticket: Mutex<Option<Ticket>>,
}

impl From<Decided> for Verdict {
    fn from(mut decided: Decided) -> Self {
        let ticket = Mutex::new(decided.ticket.take());
        Self { decided, ticket }
    }
}

#[pymethods]
impl Verdict {
    #[getter]
    fn admitted(&self) -> bool {
        self.decided.admitted()
    }

    #[getter]
    fn status(&self) -> u32 {
        self.decided.refusal.as_ref().map_or(200, |a| a.status)
    }

    /// `admitted`, or why not: `rate_limited`, `table_full`, `queue_full`, `shed`...
    #[getter]
    fn reason(&self) -> &'static str {
        self.decided.refusal.as_ref().map_or("admitted", |a| a.reason)
    }

    #[getter]
    fn rule(&self) -> Option<&str> {
        self.decided.refusal.as_ref().map(|a| a.rule.as_str())
    }

    /// The answer's headers, or an admitted response's.
    #[getter]
    fn headers(&self) -> Vec<(String, String)> {
        match &self.decided.refusal {
            Some(a) => a.headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            None => self.decided.response_headers.clone(),
        }
    }

    #[getter]
    fn body(&self) -> Option<&str> {
        self.decided.refusal.as_ref().map(|a| a.body.as_str())
    }

    /// Seconds until a retry could pass (`retry-after` exactly), or None.
    #[getter]
    fn retry_after(&self) -> Option<f64> {
        let a = self.decided.refusal.as_ref()?;
        a.headers.iter().find(|(k, _)| *k == "retry-after").and_then(|(_, v)| v.parse().ok())
    }

    #[getter]
    fn request_headers(&self) -> Vec<(String, String)> {
        self.decided.request_headers.clone()
    }

    #[getter]
    fn upstream(&self) -> Option<&str> {
        self.decided.upstream.as_deref()
    }

    /// Seconds the upstream gets, from a `deadline` rule.
    #[getter]
    fn deadline(&self) -> Option<f64> {
        self.decided.deadline_ns.map(seconds)
    }

    #[getter]
    fn deadline_ns(&self) -> Option<u64> {
        self.decided.deadline_ns
    }

    fn __bool__(&self) -> bool {
        self.decided.admitted()
    }

    fn __repr__(&self) -> String {
        match &self.decided.refusal {
            None => "Verdict(admitted)".to_string(),
            Some(a) => format!("Verdict({} {} by rule {:?})", a.status, a.reason, a.rule),
        }
    }

    /// See `Policy.report`. A second report of one verdict does nothing.
    #[pyo3(signature = (status, *, grpc_status = None, latency = None, cpu = None, now = None, no_retry = false))]
    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        py: Python<'_>,
        status: Option<u32>,
        grpc_status: Option<u32>,
        latency: Option<&Bound<'_, PyAny>>,
        cpu: Option<u64>,
        now: Option<u64>,
        no_retry: bool,
    ) -> PyResult<()> {
        let latency_ns =
            latency.filter(|l| !l.is_none()).map(|l| duration(py, "report", "latency", l, false)).transpose()?;
        let ticket = self.ticket.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(ticket) = ticket {
            let outcome = Outcome { status, grpc_status, latency_ns, cpu };
            let now = || now.unwrap_or_else(weir_host::monotonic_now);
            py.detach(|| ticket.report_answer_at(&outcome, no_retry, now));
        }
        Ok(())
    }
}
