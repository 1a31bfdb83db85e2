//! What the engine reads from and writes to one request and its response,
//! whatever carries them: proxy-wasm host calls in the Envoy filter, the
//! dynamic module's callbacks, a binding's request object.

use std::borrow::Cow;

/// One request/response exchange as the host sees it. Header names are
/// lowercase. Values may be borrowed from the host for as long as `self`.
pub trait Exchange {
    /// A request header's first value.
    fn request_header(&self, name: &str) -> Option<Cow<'_, [u8]>>;
    /// Sets a request header, replacing its values (before the request goes upstream).
    fn set_request_header(&mut self, name: &str, value: &[u8]);
    /// The downstream address as `ip:port` or `[v6]:port`.
    fn client_address(&self) -> Option<Cow<'_, [u8]>>;
    /// A response header's first value (response phase only).
    fn response_header(&self, name: &str) -> Option<Cow<'_, [u8]>>;
    /// Adds a response header (response phase only).
    fn add_response_header(&mut self, name: &str, value: &str);
    /// A warning for the host's log (a limit's state could not be used).
    fn warn(&self, message: &str);
    /// The value the caller keys this request on (`"key": "caller"`): a
    /// user id, an API key. Proxies have none.
    fn caller_key(&self) -> Option<Cow<'_, [u8]>> {
        None
    }
    /// The time the upstream gets, as the deadline phase decided it (it
    /// also wrote the timeout headers). For hosts that hand it on some other way.
    fn deadline(&mut self, _budget_ns: u64) {}
}
