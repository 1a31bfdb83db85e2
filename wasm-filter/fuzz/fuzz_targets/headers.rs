//! Everything the filter reads from a request (path, method, matched
//! headers, cost header, client address, key) with arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::borrow::Cow;
use weir_filter::config::{HeaderMatch, Match};
use weir_filter::keyed;
use weir_filter::request::{self, Request};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |b| *b == 0xff);
    let path = parts.next().unwrap_or_default().to_vec();
    let method = parts.next().unwrap_or_default().to_vec();
    let header = parts.next().unwrap_or_default().to_vec();
    let address = parts.next().unwrap_or_default();

    let m = Match {
        path_prefix: Some("/api".into()),
        method: Some("GET".into()),
        headers: vec![HeaderMatch::Equals("x-t".into(), "a".into()), HeaderMatch::Present("x-p".into())],
        ..Match::default()
    };
    let req = Request { path: Some(Cow::Borrowed(&path)), method: Some(Cow::Borrowed(&method)) };
    let _ = request::matches(&m, &req, |_| Some(header.clone()));
    let only = request::path_only(&path);
    assert!(only.len() <= path.len());
    if let Some(cost) = request::parse_uint(&header) {
        assert_eq!(cost.to_string().len() <= header.len(), true);
    }
    let host = request::address_host(address);
    assert!(host.len() <= address.len());
    let key = keyed::hash(host);
    assert!(keyed::set_index(key, 128) < 128);
});
