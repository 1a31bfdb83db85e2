//! A request as a binding describes it (method, path, headers, client
//! address, the caller's key) and the outcome it reports, as the engine's
//! [`Exchange`] reads them. What the engine writes (a picked cluster's
//! header, timeouts, `x-ratelimit-*`) is collected for the verdict.

use super::Verdict;
use crate::exchange::Exchange;
use std::borrow::Cow;

/// One request, borrowed from the caller for the length of a check.
/// Header names are compared without regard to case.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestView<'a> {
    pub method: &'a [u8],
    /// The path as sent, query included (matching ignores the query).
    pub path: &'a [u8],
    pub headers: &'a [(&'a [u8], &'a [u8])],
    /// `ip`, `ip:port` or `[v6]:port`; the port is ignored.
    pub client_address: Option<&'a [u8]>,
    /// The value `"key": "caller"` counts under (a user id, an API key).
    pub key: Option<&'a [u8]>,
}

impl<'a> RequestView<'a> {
    fn header(&self, name: &str) -> Option<&'a [u8]> {
        match name {
            ":method" => Some(self.method),
            ":path" => Some(self.path),
            _ => self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| *v),
        }
    }
}

/// A request through the phase plan: reads the view, writes what the
/// engine sets straight into the verdict being made.
pub(super) struct Checked<'r, 'a, 'v> {
    pub request: &'r RequestView<'a>,
    pub verdict: &'v mut Verdict,
}

impl Exchange for Checked<'_, '_, '_> {
    fn request_header(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        if let Some((_, v)) = self.verdict.request_headers.iter().find(|(n, _)| n == name) {
            return Some(Cow::Borrowed(v.as_bytes()));
        }
        self.request.header(name).map(Cow::Borrowed)
    }
    fn set_request_header(&mut self, name: &str, value: &[u8]) {
        let value = String::from_utf8_lossy(value).into_owned();
        match self.verdict.request_headers.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.verdict.request_headers.push((name.to_owned(), value)),
        }
    }
    fn client_address(&self) -> Option<Cow<'_, [u8]>> {
        self.request.client_address.map(Cow::Borrowed)
    }
    fn response_header(&self, _: &str) -> Option<Cow<'_, [u8]>> {
        None
    }
    fn add_response_header(&mut self, name: &str, value: &str) {
        self.verdict.response_headers.push((name.to_owned(), value.to_owned()));
    }
    fn warn(&self, _: &str) {
        // A process store cannot fail; nothing reaches here.
    }
    fn caller_key(&self) -> Option<Cow<'_, [u8]>> {
        self.request.key.map(Cow::Borrowed)
    }
    fn deadline(&mut self, budget_ns: u64) {
        self.verdict.deadline_ns = Some(budget_ns);
    }
}

/// What the upstream (or the handler) answered, as the learners read it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The HTTP status; `None`: no answer came (a reset, a timeout), a failure.
    pub status: Option<u32>,
    /// `grpc-status`, for rules with `grpc_failures`.
    pub grpc_status: Option<u32>,
    /// Time from the check to the answer; `None`: the clock's now at the report.
    pub latency_ns: Option<u64>,
    /// The upstream's CPU in permille, as its CPU header said (shed, pick).
    pub cpu: Option<u64>,
}

/// An outcome as response headers. The engine reads `:status`,
/// `grpc-status`, `x-weir-no-retry` and the rules' CPU headers; a binding's
/// caller gives the CPU as a number, so every other name reads as it.
pub(super) struct Reported {
    status: String,
    grpc_status: Option<String>,
    cpu: Option<String>,
    no_retry: bool,
}

impl Reported {
    /// `no_retry`: the answer carried `x-weir-no-retry: 1`.
    pub fn new(o: &Outcome, no_retry: bool) -> Self {
        Self {
            status: o.status.unwrap_or(0).to_string(),
            grpc_status: o.grpc_status.map(|g| g.to_string()),
            cpu: o.cpu.map(|c| c.to_string()),
            no_retry,
        }
    }
}

impl Exchange for Reported {
    fn request_header(&self, _: &str) -> Option<Cow<'_, [u8]>> {
        None
    }
    fn set_request_header(&mut self, _: &str, _: &[u8]) {}
    fn client_address(&self) -> Option<Cow<'_, [u8]>> {
        None
    }
    fn response_header(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        let v = match name {
            ":status" => Some(&self.status),
            "grpc-status" => self.grpc_status.as_ref(),
            crate::answer::NO_RETRY => return self.no_retry.then_some(Cow::Borrowed(b"1")),
            _ => self.cpu.as_ref(),
        };
        v.map(|s| Cow::Borrowed(s.as_bytes()))
    }
    fn add_response_header(&mut self, _: &str, _: &str) {}
    fn warn(&self, _: &str) {}
}
