//! The last plain refusal a worker sent, kept laid out as Envoy takes it.
//! Under a flood the refusals of one rule differ only in their times, which
//! an answer shows in whole seconds, so for about a second at a time they
//! are answered alike: while a refusal's key (`PlainRefusal::key`) equals
//! the kept one's, the kept answer goes out as it is, without laying it out
//! again. In Envoy the refuse path's cost is mostly the code and stack it
//! touches, and this leaves it a comparison and the send.

use crate::abi::{ModuleBuffer, ModuleHeader};
use crate::envoy::Stream;
use std::cell::RefCell;
use weir_policy::answer::{PlainRefusal, RefusalKey};

#[derive(Default)]
pub struct LastRefusal {
    kept: RefCell<Option<Kept>>,
}

struct Kept {
    key: RefusalKey,
    status: u32,
    /// Owns the body, the details and every header value, one after
    /// another; never changed while kept, as `body`, `details` and the
    /// header values point into it.
    _text: String,
    body: ModuleBuffer,
    details: ModuleBuffer,
    /// Names are static; values point into `_text`.
    headers: Vec<ModuleHeader>,
}

// SAFETY: the buffers and headers point at static names and into `_text`,
// which moves with them (a `String`'s bytes stay where they are when it
// moves).
unsafe impl Send for Kept {}

impl LastRefusal {
    /// Sends `plain`'s answer on `envoy`: the kept one when it answers the
    /// same, else a new one, laid out and kept. Out of line, so that an
    /// admitted request's frame does not hold the refusal's.
    #[inline(never)]
    pub fn send(&self, envoy: Stream, plain: &PlainRefusal<'_>) {
        let key = plain.key();
        let Ok(mut kept) = self.kept.try_borrow_mut() else {
            // Only a hook re-entered on this worker could find it borrowed.
            return uncached(envoy, plain);
        };
        if kept.as_ref().is_none_or(|k| k.key != key) {
            Kept::replace(&mut kept, key, plain);
        }
        if let Some(k) = kept.as_ref() {
            // SAFETY: the names are static; the values, the body and the
            // details point into `k._text`, unchanged since they were made
            // and borrowed here.
            unsafe { envoy.send_prepared(k.status, &k.headers, k.body, k.details) };
        }
    }
}

/// `plain`'s answer sent as it is laid out, without the kept one. Out of
/// line and cold, as is the replacing of the kept answer: the repeated
/// refusal's code stays a few cache lines.
#[cold]
#[inline(never)]
fn uncached(envoy: Stream, plain: &PlainRefusal<'_>) {
    plain.send(|status, headers, body, details| envoy.send_response(status, headers, body.as_bytes(), details));
}

impl Kept {
    /// Lays `plain`'s answer out in `slot`, dropping the one kept there.
    #[cold]
    #[inline(never)]
    fn replace(slot: &mut Option<Kept>, key: RefusalKey, plain: &PlainRefusal<'_>) {
        *slot = Some(plain.send(|status, headers, body, details| Kept::new(key, status, headers, body, details)));
    }

    fn new<'a>(
        key: RefusalKey,
        status: u32,
        headers: impl ExactSizeIterator<Item = (&'static str, &'a str)> + Clone,
        body: &str,
        details: &str,
    ) -> Self {
        let size = body.len() + details.len() + headers.clone().map(|(_, v)| v.len()).sum::<usize>();
        let mut text = String::with_capacity(size);
        let mut put = |s: &str| {
            let start = text.len();
            text.push_str(s);
            start..text.len()
        };
        let (body, details) = (put(body), put(details));
        let values: Vec<_> = headers.map(|(name, value)| (name, put(value))).collect();
        // `text` is complete: pointers into its buffer stay valid from here
        // on, as moving a `String` does not move its bytes.
        let at = |range: std::ops::Range<usize>| text.get(range).unwrap_or_default();
        let headers = values.into_iter().map(|(name, range)| ModuleHeader::of(name, at(range))).collect();
        let (body, details) = (ModuleBuffer::of(at(body).as_bytes()), ModuleBuffer::of(at(details).as_bytes()));
        Self { key, status, _text: text, body, details, headers }
    }
}
