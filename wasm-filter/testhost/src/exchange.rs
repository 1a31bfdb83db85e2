//! One HTTP exchange as a test describes it and as the filter left it.

/// A request reaching the filter: headers (pseudo-headers included) and
/// properties such as `source.address`.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub headers: Vec<(String, String)>,
    pub properties: Vec<(Vec<String>, Vec<u8>)>,
}

impl Request {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            headers: vec![
                (":method".into(), method.into()),
                (":path".into(), path.into()),
                (":authority".into(), "test.local".into()),
                (":scheme".into(), "http".into()),
            ],
            properties: Vec::new(),
        }
    }

    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// `source.address`, as Envoy reports the downstream peer (`ip:port`).
    pub fn from_address(self, address: &str) -> Self {
        self.property(&["source", "address"], address.as_bytes())
    }

    pub fn property(mut self, path: &[&str], value: &[u8]) -> Self {
        self.properties.push((path.iter().map(|s| s.to_string()).collect(), value.to_vec()));
        self
    }
}

/// What the upstream answers when the filter lets a request through.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub status: u32,
    pub headers: Vec<(String, String)>,
    /// How long the upstream takes; the host clock moves by this much.
    pub latency_ns: u64,
}

impl Upstream {
    pub fn ok() -> Self {
        Self::status(200)
    }

    pub fn status(status: u32) -> Self {
        Self { status, headers: Vec::new(), latency_ns: 0 }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn latency_ns(mut self, ns: u64) -> Self {
        self.latency_ns = ns;
        self
    }
}

/// How the exchange ended.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The status the client saw: the local response's or the upstream's.
    pub status: u32,
    /// Headers the client saw (response headers after the filter ran, or
    /// the local response's headers).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the request went upstream (the filter did not answer locally).
    pub reached_upstream: bool,
    /// The request headers as the upstream saw them.
    pub upstream_request_headers: Vec<(String, String)>,
    /// `proxy_on_request_headers`' action: 0 continue, 1 pause.
    pub request_action: u32,
    /// The details string of a local response.
    pub details: String,
}

impl Outcome {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn upstream_header(&self, name: &str) -> Option<&str> {
        self.upstream_request_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}
