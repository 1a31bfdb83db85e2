//! Reading what a rule matches on from request headers. Pure functions so
//! the fuzzer can drive them with any bytes a client could send.

use crate::config::{HeaderMatch, Match};
use std::borrow::Cow;

/// The request attributes rules look at, read once per request, as the
/// host hands them (borrowed where it lends its own bytes: nothing is
/// copied) for as long as the rules that match on them and the limits that
/// key on them decide.
#[derive(Debug, Default)]
pub struct Request<'a> {
    pub path: Option<Cow<'a, [u8]>>,
    pub method: Option<Cow<'a, [u8]>>,
}

/// The path without its query string.
pub fn path_only(path: &[u8]) -> &[u8] {
    match path.iter().position(|b| *b == b'?') {
        Some(i) => path.get(..i).unwrap_or(path),
        None => path,
    }
}

/// Whether `m` matches; `header` looks a request header up by lowercase name.
pub fn matches<V: AsRef<[u8]>>(m: &Match, req: &Request, header: impl FnMut(&str) -> Option<V>) -> bool {
    if let Some(method) = &m.method {
        if req.method.as_deref() != Some(method.as_bytes()) {
            return false;
        }
    }
    if m.needs_path() {
        let Some(path) = req.path.as_deref().map(path_only) else {
            return false;
        };
        if let Some(exact) = &m.path_exact {
            if path != exact.as_bytes() {
                return false;
            }
        }
        if let Some(prefix) = &m.path_prefix {
            if !path.starts_with(prefix.as_bytes()) {
                return false;
            }
        }
    }
    m.headers.is_empty() || headers_match(&m.headers, header)
}

/// Out of line: a rule matching on method or path only (or on nothing)
/// stays a few cache lines.
#[inline(never)]
fn headers_match<V: AsRef<[u8]>>(headers: &[HeaderMatch], mut header: impl FnMut(&str) -> Option<V>) -> bool {
    headers.iter().all(|h| match h {
        HeaderMatch::Present(name) => header(name).is_some(),
        HeaderMatch::Equals(name, value) => header(name).is_some_and(|v| v.as_ref() == value.as_bytes()),
    })
}

/// The host part of `ip:port` or `[v6]:port`, so one client is one key
/// whatever port it connects from.
pub fn address_host(address: &[u8]) -> &[u8] {
    if let Some(rest) = address.strip_prefix(b"[") {
        if let Some(end) = rest.iter().position(|b| *b == b']') {
            return rest.get(..end).unwrap_or(rest);
        }
        return address;
    }
    let colons = address.iter().filter(|b| **b == b':').count();
    if colons == 1 {
        if let Some(i) = address.iter().position(|b| *b == b':') {
            return address.get(..i).unwrap_or(address);
        }
    }
    address
}

/// A header's value as a plain decimal integer (cost, CPU permille, raw
/// key), nothing else: no sign, no spaces, no overflow.
pub fn parse_uint(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 20 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// Seconds for `Retry-After` and `x-ratelimit-reset`: rounded up, so a
/// client that waits exactly that long is never early.
pub fn ceil_seconds(ns: u64) -> u64 {
    ns.div_ceil(weir_core::SECOND)
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn address_host_strips_ports_from_v4_and_v6() {
        assert_eq!(address_host(b"10.1.2.3:5555"), b"10.1.2.3");
        assert_eq!(address_host(b"[::1]:80"), b"::1");
        assert_eq!(address_host(b"::1"), b"::1");
        assert_eq!(address_host(b"[bad"), b"[bad");
    }

    #[test]
    fn matching_ignores_the_query_and_needs_every_condition() {
        let m = Match {
            path_prefix: Some("/api".into()),
            method: Some("GET".into()),
            headers: vec![HeaderMatch::Equals("x-t".into(), "a".into())],
            ..Match::default()
        };
        let req = Request { path: Some(Cow::Borrowed(b"/api/x?q=1")), method: Some(Cow::Borrowed(b"GET")) };
        assert!(matches(&m, &req, |_| Some(b"a".to_vec())));
        assert!(!matches(&m, &req, |_| Some(b"b".to_vec())));
        let post = Request { method: Some(Cow::Borrowed(b"POST")), ..req };
        assert!(!matches(&m, &post, |_| Some(b"a".to_vec())));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(ceil_seconds(1), 1);
        assert_eq!(ceil_seconds(1_000_000_000), 1);
        assert_eq!(ceil_seconds(1_000_000_001), 2);
        assert_eq!(ceil_seconds(u64::MAX), 18_446_744_074);
    }
}
