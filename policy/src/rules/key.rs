//! The key a limit counts a request under, read from the exchange and
//! hashed once by core's seeded key hash (SipHash under the plan's seed),
//! so a key lands in the same set in every worker sharing the seed, and
//! nowhere a client could compute without it. A composite key is its parts' values, each prefixed by its length
//! so that no two different lists of values make the same bytes.

use crate::config::KeySource;
use crate::exchange::Exchange;
use crate::request::{self, Request};
use std::borrow::Cow;
use weir_core::hash::{hash_key_seeded, HashSeed};

/// The key hash for this request under `seed`; `None` when the request
/// lacks what the limit keys on (then the limit does not apply). A
/// `debug_raw_header` key is a hash already and is used as given.
#[inline]
pub fn hash(seed: &HashSeed, key: &KeySource, req: &Request, ex: &impl Exchange) -> Option<u64> {
    match key {
        KeySource::None => Some(0),
        keyed => hash_keyed(seed, keyed, req, ex),
    }
}

/// Out of line: a limit without a key stays a few cache lines.
#[inline(never)]
fn hash_keyed(seed: &HashSeed, key: &KeySource, req: &Request, ex: &impl Exchange) -> Option<u64> {
    match key {
        KeySource::None => Some(0),
        KeySource::RawHeader(name) => request::parse_uint(&ex.request_header(name)?),
        KeySource::Composite(parts) => {
            let mut joined = Vec::with_capacity(64);
            for part in parts {
                let value = value(part, req, ex)?;
                joined.extend_from_slice(&(value.len() as u32).to_le_bytes());
                joined.extend_from_slice(&value);
            }
            Some(hash_key_seeded(seed, &joined))
        }
        single => Some(hash_key_seeded(seed, &value(single, req, ex)?)),
    }
}

/// The key as an operator reads it: the value the limit hashed, a
/// composite's parts joined by `|`; `None` when the request lacks it.
pub fn shown(key: &KeySource, req: &Request, ex: &impl Exchange) -> Option<Vec<u8>> {
    match key {
        KeySource::None => None,
        KeySource::RawHeader(name) => ex.request_header(name).map(Cow::into_owned),
        KeySource::Composite(parts) => {
            let mut joined = Vec::with_capacity(64);
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    joined.push(b'|');
                }
                joined.extend_from_slice(&value(part, req, ex)?);
            }
            Some(joined)
        }
        single => value(single, req, ex).map(Cow::into_owned),
    }
}

/// One source's value: the bytes that are hashed.
fn value<'a>(key: &KeySource, req: &'a Request, ex: &'a impl Exchange) -> Option<Cow<'a, [u8]>> {
    match key {
        KeySource::Header(name) => ex.request_header(name),
        KeySource::Path => Some(Cow::Borrowed(request::path_only(req.path.as_deref()?))),
        KeySource::ClientAddress => match ex.client_address()? {
            Cow::Borrowed(addr) => Some(Cow::Borrowed(request::address_host(addr))),
            Cow::Owned(addr) => Some(Cow::Owned(request::address_host(&addr).to_vec())),
        },
        KeySource::Caller => ex.caller_key(),
        KeySource::None | KeySource::RawHeader(_) | KeySource::Composite(_) => None,
    }
}
