//! The answers weir sends itself: the status the rule configures,
//! `retry-after` (seconds, rounded up so a client waiting that long is
//! never early), `x-ratelimit-*` for limits, and a body naming the rule.
//!
//! Every overload answer (a 429 or 5xx from `limit`, `shed`, `throttle`,
//! `breaker` or the gutter's limit) carries [`NO_RETRY`]: `1`, and a gRPC
//! request's also `grpc-retry-pushback-ms: -1` (gRPC's "do not retry").
//! The refusal was decided here, on purpose, so the layer that sent the
//! request must not send it again: with `A -> B -> C`, when B's weir
//! refuses A's request because C is failing, A's retry would only add load
//! to the path that is already refusing. A caller retries only failures of
//! the layer it talks to (a reset, a timeout, a 5xx without the marker).

use crate::config::Fallback;
use crate::request;
use crate::rules::Refusal;
use std::sync::Mutex;
use weir_core::Decision;

/// The header that says an answer is an overload decided on purpose and
/// must not be retried by the layer that receives it.
pub const NO_RETRY: &str = "x-weir-no-retry";
/// gRPC's retry pushback; a negative value tells the client not to retry.
pub const GRPC_PUSHBACK: &str = "grpc-retry-pushback-ms";

/// Whether an answer with `status` is an overload answer (no retry).
pub fn is_overload(status: u32) -> bool {
    status == 429 || status >= 500
}

/// A configured header name as the `&'static str` answers carry. Names are
/// kept once per distinct name for the process's life (a reload that
/// repeats a name reuses it), so memory is bounded by the names ever
/// configured, and every host keeps reading answers as it does.
pub fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = names.iter().find(|n| **n == name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

/// A local answer, ready for the host to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u32,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// Envoy's response code details: `weir_<reason>`.
    pub details: String,
    /// Why: `rate_limited`, `table_full`, `shed`, `throttled`, `deadline_exceeded`...
    pub reason: &'static str,
    /// The name of the rule that answered.
    pub rule: String,
}

impl Answer {
    /// The headers as borrowed pairs, the shape host calls take.
    pub fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// The plain answer to `r`; `grpc`: the request was gRPC.
pub fn refusal(rule: &str, debug_headers: bool, r: &Refusal, grpc: bool) -> Answer {
    let plain = PlainRefusal { rule, debug_headers, refusal: *r, grpc };
    plain.send(|status, headers, body, details| Answer {
        status,
        headers: headers.map(|(k, v)| (k, v.to_owned())).collect(),
        body: body.to_owned(),
        details: details.to_owned(),
        reason: r.reason(),
        rule: rule.to_owned(),
    })
}

/// Most headers a plain refusal carries: `retry-after`, three
/// `x-ratelimit-*`, `x-weir-rule`, the two no-retry markers, four debug.
pub const PLAIN_REFUSAL_HEADERS: usize = 11;

/// A rule's plain refusal, decided but not yet put into words: [`refusal`]
/// builds its [`Answer`]; a host that hands an answer over in one call and
/// keeps nothing of it (the Envoy module) has [`PlainRefusal::send`] lay it
/// out on the stack instead, allocating nothing on the refuse path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlainRefusal<'p> {
    /// The refusing rule's name.
    pub rule: &'p str,
    pub debug_headers: bool,
    pub refusal: Refusal,
    /// The request was gRPC (adds `grpc-retry-pushback-ms: -1`).
    pub grpc: bool,
}

impl PlainRefusal<'_> {
    /// The answer, owned.
    pub fn answer(&self) -> Answer {
        refusal(self.rule, self.debug_headers, &self.refusal, self.grpc)
    }

    /// Calls `send(status, headers, body, details)` with the answer laid
    /// out on the stack (the numbers, body and details formatted into one
    /// local buffer, the headers produced from where their values landed),
    /// and returns what it returns. Only the bytes written are touched: on
    /// a proxy's refuse path every cache line counts.
    pub fn send<R>(&self, send: impl FnOnce(u32, RefusalHeaders<'_>, &str, &str) -> R) -> R {
        let r = &self.refusal;
        let d = &r.decision;
        let reason = r.reason();
        // Every value goes into one buffer, checked as UTF-8 once. A rule's
        // name is at most 64 bytes, so the stack holds a plain refusal's
        // text; debug headers' three more numbers, or a longer name (not
        // from a parsed config), get a buffer on the heap.
        let numbers = if self.debug_headers { 7 } else { 4 };
        let bound = numbers * MAX_DIGITS + 2 * reason.len() + self.rule.len() + 32;
        let (mut stack, mut heap) = ([0u8; 256], Vec::new());
        let buf: &mut [u8] = if bound <= stack.len() {
            &mut stack
        } else {
            heap.resize(bound, 0);
            &mut heap
        };
        let mut w = Writer { buf, len: 0 };
        let mut h =
            RefusalHeaders { text: "", rule: self.rule, reason: d.reason.as_str(), at: [(0, 0); 7], present: 0 };
        if d.retry_after > 0 {
            h.set(RETRY_AFTER, w.number(request::ceil_seconds(d.retry_after)));
        }
        if let Some(burst) = r.burst {
            h.set(LIMIT, w.number(burst));
            h.set(REMAINING, w.number(d.remaining));
            h.set(RESET, w.number(request::ceil_seconds(d.reset_after)));
        }
        h.present |= 1 << RULE;
        if is_overload(r.status) {
            h.present |= 1 << NO_RETRY_MARK;
            if self.grpc {
                h.present |= 1 << PUSHBACK;
            }
        }
        if self.debug_headers {
            h.present |= 1 << DEBUG_REASON;
            h.set(DEBUG_RETRY_AFTER, w.number(d.retry_after));
            h.set(DEBUG_REMAINING, w.number(d.remaining));
            h.set(DEBUG_RESET_AFTER, w.number(d.reset_after));
        }
        let body = w.text(&["weir: ", reason, " by rule \"", self.rule, "\"\n"]);
        let details = w.text(&["weir_", reason]);
        let text = w.buf.get(..w.len).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or_default();
        h.text = text;
        send(r.status, h, text.get(body).unwrap_or_default(), text.get(details).unwrap_or_default())
    }
}

/// What a plain refusal's answer is made of. Two refusals of one plan with
/// equal keys are answered with the same status, headers, body and details
/// (the rule is named by its index in the plan): the times an answer shows
/// are whole seconds, and debug headers' nanoseconds are in the key when the
/// rule asks for them. A host answering a flood of refusals can keep the
/// last answer laid out and send it again while the key holds: under one
/// rule, for about a second at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusalKey {
    rule: usize,
    status: u32,
    reason: weir_core::Reason,
    label: Option<&'static str>,
    burst: Option<u64>,
    remaining: u64,
    retry_after_s: u64,
    reset_s: u64,
    grpc: bool,
    debug: Option<(u64, u64)>,
}

impl PlainRefusal<'_> {
    /// This refusal's [`RefusalKey`].
    #[inline]
    pub fn key(&self) -> RefusalKey {
        let r = &self.refusal;
        let d = &r.decision;
        RefusalKey {
            rule: r.rule,
            status: r.status,
            reason: d.reason,
            label: r.label,
            burst: r.burst,
            remaining: d.remaining,
            retry_after_s: request::ceil_seconds(d.retry_after),
            reset_s: request::ceil_seconds(d.reset_after),
            grpc: self.grpc,
            debug: self.debug_headers.then_some((d.retry_after, d.reset_after)),
        }
    }
}

/// A plain refusal's headers, in the order they are sent: `retry-after`,
/// the three `x-ratelimit-*`, `x-weir-rule`, the two no-retry markers,
/// four debug.
const HEADER_NAMES: [&str; PLAIN_REFUSAL_HEADERS] = [
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-weir-rule",
    NO_RETRY,
    GRPC_PUSHBACK,
    "x-weir-reason",
    "x-weir-retry-after-ns",
    "x-weir-remaining",
    "x-weir-reset-after-ns",
];
const RETRY_AFTER: usize = 0;
const LIMIT: usize = 1;
const REMAINING: usize = 2;
const RESET: usize = 3;
const RULE: usize = 4;
const NO_RETRY_MARK: usize = 5;
const PUSHBACK: usize = 6;
const DEBUG_REASON: usize = 7;
const DEBUG_RETRY_AFTER: usize = 8;
const DEBUG_REMAINING: usize = 9;
const DEBUG_RESET_AFTER: usize = 10;
/// Where in [`RefusalHeaders::at`] a header's value range is kept, for the
/// headers whose value is a number written into the text.
const VALUE_AT: [Option<usize>; PLAIN_REFUSAL_HEADERS] =
    [Some(0), Some(1), Some(2), Some(3), None, None, None, None, Some(4), Some(5), Some(6)];

/// The headers of a plain refusal, produced one by one from where their
/// values landed in the answer's text: a few words on the stack instead of
/// an array of every header a refusal may carry.
#[derive(Debug, Clone)]
pub struct RefusalHeaders<'a> {
    text: &'a str,
    rule: &'a str,
    reason: &'static str,
    /// Value ranges in `text`, by [`VALUE_AT`].
    at: [(usize, usize); 7],
    /// Bit `i`: the refusal carries header `i` of [`HEADER_NAMES`].
    present: u16,
}

impl RefusalHeaders<'_> {
    /// The refusal carries `header`, its value at `range` of the text.
    fn set(&mut self, header: usize, range: core::ops::Range<usize>) {
        self.present |= 1 << header;
        if let Some(at) = VALUE_AT.get(header).copied().flatten().and_then(|i| self.at.get_mut(i)) {
            *at = (range.start, range.end);
        }
    }
}

impl<'a> Iterator for RefusalHeaders<'a> {
    type Item = (&'static str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.present == 0 {
            return None;
        }
        let header = self.present.trailing_zeros() as usize;
        self.present &= self.present - 1;
        let value = match header {
            RULE => self.rule,
            NO_RETRY_MARK => "1",
            PUSHBACK => "-1",
            DEBUG_REASON => self.reason,
            _ => {
                let at = VALUE_AT.get(header).copied().flatten().and_then(|i| self.at.get(i));
                at.and_then(|&(start, end)| self.text.get(start..end)).unwrap_or_default()
            }
        };
        Some((HEADER_NAMES.get(header).copied().unwrap_or_default(), value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.present.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for RefusalHeaders<'_> {}

/// Digits of the largest `u64`.
const MAX_DIGITS: usize = 20;

/// Appends text to a buffer sized for it beforehand, answering where each
/// piece landed.
struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn text(&mut self, parts: &[&str]) -> core::ops::Range<usize> {
        let start = self.len;
        for part in parts {
            self.bytes(part.as_bytes());
        }
        start..self.len
    }

    /// `n` in decimal, written in place from its last digit.
    fn number(&mut self, mut n: u64) -> core::ops::Range<usize> {
        let start = self.len;
        let end = start + n.checked_ilog10().unwrap_or(0) as usize + 1;
        if let Some(to) = self.buf.get_mut(start..end) {
            for digit in to.iter_mut().rev() {
                *digit = b'0' + (n % 10) as u8;
                n /= 10;
            }
            self.len = end;
        }
        start..self.len
    }

    fn bytes(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(to) = self.buf.get_mut(self.len..end) {
            to.copy_from_slice(bytes);
            self.len = end;
        }
    }
}

/// The rule's `fallback` answer to `r` in place of the plain one: the
/// configured status, body and headers, `x-weir-fallback` naming why, and
/// `retry-after` and the no-retry marker when the fallback is an overload
/// answer itself. `None` when the fallback routes instead of answering.
#[inline(never)]
pub fn fallback(rule: &str, fallback: &Fallback, r: &Refusal, grpc: bool) -> Option<Answer> {
    let Fallback::Answer { status, body, headers: configured } = fallback else { return None };
    let reason = r.reason();
    let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(configured.len() + 5);
    headers.extend(configured.iter().cloned());
    if is_overload(*status) && r.decision.retry_after > 0 {
        headers.push(("retry-after", request::ceil_seconds(r.decision.retry_after).to_string()));
    }
    headers.push(("x-weir-rule", rule.to_string()));
    headers.push(("x-weir-fallback", reason.to_string()));
    no_retry(&mut headers, *status, grpc);
    Some(Answer {
        status: *status,
        headers,
        body: body.clone(),
        details: format!("weir_fallback_{reason}"),
        reason,
        rule: rule.to_string(),
    })
}

fn no_retry(headers: &mut Vec<(&'static str, String)>, status: u32, grpc: bool) {
    if is_overload(status) {
        headers.push((NO_RETRY, "1".into()));
        if grpc {
            headers.push((GRPC_PUSHBACK, "-1".into()));
        }
    }
}

pub fn debug_values(d: &Decision) -> [(&'static str, String); 4] {
    [
        ("x-weir-reason", d.reason.as_str().to_string()),
        ("x-weir-retry-after-ns", d.retry_after.to_string()),
        ("x-weir-remaining", d.remaining.to_string()),
        ("x-weir-reset-after-ns", d.reset_after.to_string()),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use weir_core::Reason;

    fn refused(reason: Reason, retry_after: u64, remaining: u64, reset_after: u64) -> Refusal {
        Refusal {
            rule: 0,
            status: 429,
            decision: Decision { reason, retry_after, remaining, reset_after },
            burst: Some(100),
            label: None,
        }
    }

    #[test]
    fn numbers_print_at_every_magnitude_as_display_does() {
        let mut n = 1u64;
        let mut values = vec![u64::MAX];
        for _ in 0..20 {
            values.extend([n - 1, n, n + 1, n.saturating_mul(9)]);
            n = n.saturating_mul(10);
        }
        let mut buf = [0u8; 24];
        for v in values {
            let mut w = Writer { buf: &mut buf, len: 0 };
            let range = w.number(v);
            assert_eq!(std::str::from_utf8(&buf[range]).unwrap(), v.to_string());
        }
    }

    #[test]
    fn refusals_with_one_key_get_one_answer() {
        // Every combination of what an answer shows, with times on both
        // sides of whole seconds: a key seen twice must mean one answer.
        let times = [0, 1, 999_999_999, 1_000_000_000, 1_000_000_001, 2_000_000_000];
        let mut answers: std::collections::HashMap<String, Answer> = std::collections::HashMap::new();
        let mut keys_shared = 0;
        for (&retry_after, &reset_after) in times.iter().flat_map(|a| times.iter().map(move |b| (a, b))) {
            for (remaining, burst, status) in [(0, Some(1), 429), (1, Some(100), 429), (0, None, 503), (0, None, 200)] {
                for (reason, label) in [
                    (Reason::RateLimited, None),
                    (Reason::CircuitOpen, Some("breaker_open")),
                    (Reason::CpuOverloaded, None),
                ] {
                    for (grpc, debug_headers) in [(false, false), (true, false), (false, true), (true, true)] {
                        let refusal = Refusal {
                            rule: 0,
                            status,
                            decision: Decision { reason, retry_after, remaining, reset_after },
                            burst,
                            label,
                        };
                        let plain = PlainRefusal { rule: "api", debug_headers, refusal, grpc };
                        let answer = plain.answer();
                        match answers.entry(format!("{:?}", plain.key())) {
                            std::collections::hash_map::Entry::Occupied(seen) => {
                                keys_shared += 1;
                                assert_eq!(seen.get(), &answer, "{plain:?}");
                            }
                            std::collections::hash_map::Entry::Vacant(slot) => {
                                slot.insert(answer);
                            }
                        }
                    }
                }
            }
        }
        // Times within one second share keys (and so the test compared answers).
        assert!(keys_shared > 100, "only {keys_shared} refusals shared a key");
    }

    #[test]
    fn a_limit_refusal_is_laid_out_with_every_header() {
        let r = refused(Reason::RateLimited, 1_500_000_000, 0, 60_000_000_001);
        let plain = PlainRefusal { rule: "api", debug_headers: true, refusal: r, grpc: true };
        let seen = plain.send(|status, headers, body, details| {
            assert_eq!(headers.len(), 11);
            let owned: Vec<(String, String)> = headers.map(|(k, v)| (k.to_string(), v.to_string())).collect();
            (status, owned, body.to_owned(), details.to_owned())
        });
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert_eq!(seen.0, 429);
        assert_eq!(
            seen.1,
            pairs(&[
                ("retry-after", "2"),
                ("x-ratelimit-limit", "100"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "61"),
                ("x-weir-rule", "api"),
                ("x-weir-no-retry", "1"),
                ("grpc-retry-pushback-ms", "-1"),
                ("x-weir-reason", "rate_limited"),
                ("x-weir-retry-after-ns", "1500000000"),
                ("x-weir-remaining", "0"),
                ("x-weir-reset-after-ns", "60000000001"),
            ])
        );
        assert_eq!(seen.2, "weir: rate_limited by rule \"api\"\n");
        assert_eq!(seen.3, "weir_rate_limited");
        let owned = plain.answer();
        assert_eq!(owned.headers.len(), PLAIN_REFUSAL_HEADERS);
        assert_eq!((owned.body.as_str(), owned.details.as_str()), (seen.2.as_str(), seen.3.as_str()));
        assert_eq!((owned.reason, owned.rule.as_str()), ("rate_limited", "api"));
    }

    #[test]
    fn a_refusal_without_retry_time_or_burst_leaves_those_headers_out() {
        let mut r = refused(Reason::Throttled, 0, 0, 0);
        r.burst = None;
        r.status = 503;
        let answer = PlainRefusal { rule: "t", debug_headers: false, refusal: r, grpc: false }.answer();
        assert_eq!(answer.headers, vec![("x-weir-rule", "t".to_owned()), ("x-weir-no-retry", "1".to_owned())]);
        r.status = 200;
        let answer = PlainRefusal { rule: "t", debug_headers: false, refusal: r, grpc: true }.answer();
        assert_eq!(answer.headers, vec![("x-weir-rule", "t".to_owned())], "not an overload: no markers");
    }

    #[test]
    fn the_longest_numbers_and_name_a_config_allows_are_answered_whole() {
        let name = "n".repeat(64);
        let r = refused(Reason::RateLimited, u64::MAX, u64::MAX, u64::MAX);
        let answer = PlainRefusal { rule: &name, debug_headers: true, refusal: r, grpc: true }.answer();
        let max = u64::MAX.to_string();
        let value = |k: &str| answer.headers.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(value("x-weir-retry-after-ns"), max);
        assert_eq!(value("x-weir-reset-after-ns"), max);
        assert_eq!(value("x-weir-remaining"), max);
        assert_eq!(value("x-ratelimit-remaining"), max);
        assert_eq!(value("retry-after"), u64::MAX.div_ceil(weir_core::SECOND).to_string());
        assert_eq!(answer.body, format!("weir: rate_limited by rule \"{name}\"\n"));
        assert_eq!(answer.details, "weir_rate_limited");
    }

    #[test]
    fn a_name_longer_than_the_stack_buffer_is_still_answered_whole() {
        let long = "r".repeat(500);
        let r = refused(Reason::RateLimited, 1, 0, 1);
        let answer = PlainRefusal { rule: &long, debug_headers: false, refusal: r, grpc: false }.answer();
        assert_eq!(answer.body, format!("weir: rate_limited by rule \"{long}\"\n"));
        assert_eq!(answer.details, "weir_rate_limited");
    }
}
